"""The storage layer: the only code that talks to DynamoDB (and to S3 and SSM).

One module per aggregate. Items become domain types at this boundary, and failed
conditions become domain errors (`PhoneTaken`, `SeatsChanged`, `RegistrationChanged`, …):
nothing above this package sees a boto3 response or decodes `CancellationReasons`.

Keys (single-table design, `infra/resources.json`):
  event           pk=EVENT#<event_id>  sk=EVENT            gsi1pk=EVENTS  gsi1sk=<created_at>#<event_id>
  registration    pk=EVENT#<event_id>  sk=REG#<registration_id>   (ids sort by registration time)
  phone guard     pk=EVENT#<event_id>  sk=PHONE#<HMAC(event, phone)>   one per live registration
  waitlist entry  pk=EVENT#<event_id>  sk=WAIT#<position, 10 digits>   in waitlist order
  idempotency     pk=IDEM#<sha256(scope, key)>  sk=IDEM   expires by TTL after 24 h
  staff token     pk=STAFF#<sha256(token)>  sk=STAFF    only the hash is stored
  seat lock       pk=EVENT#<event_id>  sk=SEAT#<seat key>   one per seat a live registration holds (programme.py)
  programme index prog_pk=PROG#<event_id>, sk    sparse: nominees and companions only (index `programme`)
"""
