"""What messaging talks to besides its database: its SQS queue and the shared cache that
counts each tenant's sending rate. The SMS/KakaoTalk providers are the backends/ package."""
