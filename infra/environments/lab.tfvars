# Example environment: copy, edit, and point the deploy workflow's TF_VARS_FILE at it.
region                = "eu-west-1"
environment           = "lab"
data_residency        = "eu"
llm_provider          = "simulated"
certificate_arn       = "arn:aws:acm:eu-west-1:111122223333:certificate/replace-me"
allowed_ingress_cidrs = ["203.0.113.0/24"]
# With data_residency = "eu", Bedrock calls must use eu. inference profiles (and pricing.yaml's
# bedrock_id values must match them).
bedrock_model_ids = [
  "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
  "eu.anthropic.claude-sonnet-4-6",
  "amazon.titan-embed-text-v2:0",
]
alert_email = ""
