"""The ground floor every other package stands on: ``settings`` (typed, validated, from
settings.yaml and the environment), ``secrets`` (encryption at rest), ``logs`` (the redacting
log setup), ``excepthooks`` (uncaught exceptions through the same redaction), ``redisconn``
(Redis clients built one way), ``rotate`` (re-encrypting under a new key) and ``refusal`` (the
root of every refusal a person can get). Imports no package of ours.
"""
