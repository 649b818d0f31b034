"""The SQS worker runtime shared by every sqs_main*.py."""
