"""Domain support for messaging: SMS, LMS and KakaoTalk Alimtalk through SOLAPI, paid for
with per-tenant credits.

  models.py            the credit ledger, batches, recipients, the outbox of provider calls
  credit_services.py   every change to a balance: top-up, hold, capture, release, refund
  phones.py            Korean phone numbers: validation and normalisation
  services/batches.py  accepting a send request (the API): validate, hold, queue
  services/jobs.py     the messaging worker's handler: send, record, reconcile
  services/delivery_reports.py   the provider's delivery webhook
  backends/            console (default), locmem (tests), solapi (the real SDK)
  audit.py             balance == sum(ledger), for every account
"""
