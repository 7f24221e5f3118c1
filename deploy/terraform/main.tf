# mlops-chatops on AWS: the bot's least-privilege policy, the DAG-trigger Lambda, the SNS subscription.
#
#   (cd ../../lambda/dag-trigger && npm ci && npm run package)   # -> dist/dag-trigger.zip
#   cp backend.tf.example backend.tf                              # keep the state in S3, not on a laptop
#   terraform init && terraform apply -var-file=prod.tfvars
#
# The bot itself runs elsewhere (deploy/k8s, ECS, a VM); attach its role with `bot_role_names`.
# Its config must list the topic ARN (output `sns_topic_arn`, known at `terraform plan`) BEFORE
# apply: the subscription created here is confirmed by the bot, which refuses unlisted topics.

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.x: data.aws_region's `region` attribute (its `name` is deprecated there); 7.x untested.
      version = ">= 6.0, < 7.0"
    }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  # InvokeRestApi is authorised on the Airflow role of the environment, not on the environment.
  airflow_role_arn = "arn:${local.partition}:airflow:${local.region}:${local.account_id}:role/${var.mwaa_environment_name}/${var.airflow_role}"

  trigger_function_arn = var.deploy_trigger_lambda ? aws_lambda_function.dag_trigger[0].arn : var.existing_trigger_function_arn

  # bot-policy.json holds every statement the bot can need; keep the trigger statement of the chosen kind.
  bot_policy_all = jsondecode(templatefile("${path.module}/bot-policy.json", {
    partition                    = local.partition
    region                       = local.region
    account_id                   = local.account_id
    trigger_function_arn         = local.trigger_function_arn
    mwaa_environment             = var.mwaa_environment_name
    airflow_role                 = var.airflow_role
    endpoint_name_pattern        = var.endpoint_name_pattern
    endpoint_config_name_pattern = var.endpoint_config_name_pattern
    training_job_name_pattern    = var.training_job_name_pattern
    model_package_group          = "GROUP" # replaced below, one resource per followed group
  }))
  dropped_sid = var.trigger_kind == "lambda" ? "InvokeMwaaRestApi" : "InvokeDagTriggerLambda"
  # Contract 10: DescribeModelPackage / UpdateModelPackage on the versioned packages of the followed
  # groups only (models.<m>.modelPackageGroup); the statement is dropped when there are none.
  model_package_arns = distinct(flatten([
    for g in var.model_package_groups : [
      for name in distinct([g, lower(g)]) : "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:model-package/${name}/*"
    ]
  ]))
  bot_policy = {
    Version = local.bot_policy_all.Version
    Statement = [
      for s in local.bot_policy_all.Statement : (s.Sid == "ModelRegistryPackages" ? merge(s, { Resource = local.model_package_arns }) : s)
      if s.Sid != local.dropped_sid && (s.Sid != "ModelRegistryPackages" || length(var.model_package_groups) > 0)
    ]
  }

  create_topic = var.sns_topic_arn == ""
  # Predictable from account, region and name, so it is known at plan time and the bot's
  # sns.topicArns can list it before apply creates the subscription (the bot confirms only
  # listed topics). aws_sns_topic.events checks that AWS agrees.
  sns_topic_arn = local.create_topic ? "arn:${local.partition}:sns:${local.region}:${local.account_id}:${var.sns_topic_name}" : var.sns_topic_arn
  # Built by `npm run package` in lambda/dag-trigger (the same zip outside Terraform).
  lambda_zip = coalesce(var.lambda_zip_path, "${path.module}/../../lambda/dag-trigger/dist/dag-trigger.zip")
}

# --- The bot -----------------------------------------------------------------------------------------

resource "aws_iam_policy" "bot" {
  name        = "${var.name_prefix}-chatops-bot"
  description = "mlops-chatops bot: trigger DAGs, read SageMaker endpoints/models/training jobs and endpoint metrics."
  policy      = jsonencode(local.bot_policy)
  tags        = var.tags

  lifecycle {
    precondition {
      condition     = var.trigger_kind == "mwaa" || local.trigger_function_arn != ""
      error_message = "trigger_kind = lambda needs deploy_trigger_lambda = true or existing_trigger_function_arn."
    }
  }
}

resource "aws_iam_role_policy_attachment" "bot" {
  for_each   = toset(var.bot_role_names)
  role       = each.value
  policy_arn = aws_iam_policy.bot.arn
}

# --- The DAG-trigger Lambda --------------------------------------------------------------------------

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "dag_trigger" {
  count              = var.deploy_trigger_lambda ? 1 : 0
  name               = "${var.name_prefix}-dag-trigger"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

resource "aws_cloudwatch_log_group" "dag_trigger" {
  count             = var.deploy_trigger_lambda ? 1 : 0
  name              = "/aws/lambda/${var.trigger_function_name}"
  retention_in_days = var.lambda_log_retention_days
  tags              = var.tags
}

data "aws_iam_policy_document" "dag_trigger" {
  count = var.deploy_trigger_lambda ? 1 : 0

  statement {
    sid       = "InvokeMwaaRestApi"
    actions   = ["airflow:InvokeRestApi"]
    resources = [local.airflow_role_arn]
  }
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.dag_trigger[0].arn}:*"]
  }
}

resource "aws_iam_role_policy" "dag_trigger" {
  count  = var.deploy_trigger_lambda ? 1 : 0
  name   = "invoke-mwaa-rest-api"
  role   = aws_iam_role.dag_trigger[0].id
  policy = data.aws_iam_policy_document.dag_trigger[0].json
}

# Only when the function is placed in a VPC: ENI management for Lambda.
resource "aws_iam_role_policy_attachment" "dag_trigger_vpc" {
  count      = var.deploy_trigger_lambda && length(var.lambda_subnet_ids) > 0 ? 1 : 0
  role       = aws_iam_role.dag_trigger[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

resource "aws_lambda_function" "dag_trigger" {
  count            = var.deploy_trigger_lambda ? 1 : 0
  function_name    = var.trigger_function_name
  description      = "Starts allow-listed Airflow DAGs on MWAA (InvokeRestApi) for GitLab CI and the mlops-chatops bot."
  role             = aws_iam_role.dag_trigger[0].arn
  runtime          = "nodejs22.x"
  handler          = "handler.handler"
  filename         = local.lambda_zip
  source_code_hash = filebase64sha256(local.lambda_zip)
  memory_size      = 256
  # Up to 3 InvokeRestApi attempts of at most ~11 s each (MWAA's own limit is 10 s), plus backoff.
  timeout = 45

  environment {
    variables = {
      MWAA_ENVIRONMENT = var.mwaa_environment_name
      ALLOWED_DAGS     = join(",", var.allowed_dags)
    }
  }

  dynamic "vpc_config" {
    for_each = length(var.lambda_subnet_ids) > 0 ? [1] : []
    content {
      subnet_ids         = var.lambda_subnet_ids
      security_group_ids = var.lambda_security_group_ids
    }
  }

  tags       = var.tags
  depends_on = [aws_cloudwatch_log_group.dag_trigger, aws_iam_role_policy.dag_trigger]
}

# GitLab CI keeps calling the same function (the pipeline's deploy job, `aws lambda invoke`).
data "aws_iam_policy_document" "ci_invoke" {
  count = var.deploy_trigger_lambda && length(var.ci_role_names) > 0 ? 1 : 0
  statement {
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.dag_trigger[0].arn]
  }
}

resource "aws_iam_role_policy" "ci_invoke" {
  for_each = var.deploy_trigger_lambda && length(var.ci_role_names) > 0 ? toset(var.ci_role_names) : toset([])
  name     = "${var.name_prefix}-invoke-dag-trigger"
  role     = each.value
  policy   = data.aws_iam_policy_document.ci_invoke[0].json
}

# --- SNS -> the bot's /hooks/sns -----------------------------------------------------------------------

resource "aws_sns_topic" "events" {
  count = local.create_topic ? 1 : 0
  name  = var.sns_topic_name
  tags  = var.tags

  lifecycle {
    postcondition {
      condition     = self.arn == local.sns_topic_arn
      error_message = "The topic ARN differs from the one predicted for the bot's sns.topicArns (output sns_topic_arn); put ${self.arn} in the config."
    }
  }
}

# The bot confirms the subscription itself (it fetches SubscribeURL from a verified message,
# contract 5.2), but only for a topic in its sns.topicArns: list output sns_topic_arn there first.
resource "aws_sns_topic_subscription" "bot" {
  topic_arn              = local.create_topic ? aws_sns_topic.events[0].arn : var.sns_topic_arn
  protocol               = "https"
  endpoint               = "${trimsuffix(var.bot_public_url, "/")}/hooks/sns"
  endpoint_auto_confirms = true
  # How long apply waits for the bot's confirmation (default 1 minute).
  confirmation_timeout_in_minutes = 5
  raw_message_delivery            = false # the bot verifies the signed SNS envelope
}

resource "aws_cloudwatch_event_rule" "training_job_state" {
  count       = local.create_topic && var.forward_training_job_events ? 1 : 0
  name        = "${var.name_prefix}-training-job-state"
  description = "SageMaker training job state changes, for the mlops-chatops bot."
  # InProgress -> training.started; Completed -> training.succeeded; Failed, Stopped -> training.failed.
  event_pattern = jsonencode({
    source        = ["aws.sagemaker"]
    "detail-type" = ["SageMaker Training Job State Change"]
    detail        = { TrainingJobStatus = ["InProgress", "Completed", "Failed", "Stopped"] }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "training_job_state" {
  count = local.create_topic && var.forward_training_job_events ? 1 : 0
  rule  = aws_cloudwatch_event_rule.training_job_state[0].name
  arn   = aws_sns_topic.events[0].arn
}

# Contract 10: the followed Model Registry groups' approval status changes (PendingManualApproval
# makes a candidate card; Approved / Rejected made in Studio or the console show on it).
resource "aws_cloudwatch_event_rule" "model_package_state" {
  count       = local.create_topic && length(var.model_package_groups) > 0 ? 1 : 0
  name        = "${var.name_prefix}-model-package-state"
  description = "SageMaker Model Registry approval status changes of the followed groups, for the mlops-chatops bot."
  # PendingManualApproval -> a candidate card; Approved / Rejected -> shown on it (and a Studio approval deploys).
  event_pattern = jsonencode({
    source        = ["aws.sagemaker"]
    "detail-type" = ["SageMaker Model Package State Change"]
    detail        = {
      ModelPackageGroupName = var.model_package_groups
      ModelApprovalStatus   = ["PendingManualApproval", "Approved", "Rejected"]
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "model_package_state" {
  count = local.create_topic && length(var.model_package_groups) > 0 ? 1 : 0
  rule  = aws_cloudwatch_event_rule.model_package_state[0].name
  arn   = aws_sns_topic.events[0].arn
}

# Only on a topic this module created: a topic policy replaces any existing one (and the default
# one, which lets the whole account publish). Publishing is narrowed to what the bot trusts:
# EventBridge's rule above, CloudWatch alarms of this account, and the pipeline's own roles.
data "aws_iam_policy_document" "events_topic" {
  count = local.create_topic ? 1 : 0

  dynamic "statement" {
    for_each = var.forward_training_job_events ? [1] : []
    content {
      sid       = "EventBridgePublish"
      actions   = ["sns:Publish"]
      resources = [aws_sns_topic.events[0].arn]
      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }
      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [aws_cloudwatch_event_rule.training_job_state[0].arn]
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.model_package_groups) > 0 ? [1] : []
    content {
      sid       = "EventBridgeModelPackagesPublish"
      actions   = ["sns:Publish"]
      resources = [aws_sns_topic.events[0].arn]
      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }
      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [aws_cloudwatch_event_rule.model_package_state[0].arn]
      }
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.events[0].arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  dynamic "statement" {
    for_each = length(var.publisher_role_arns) > 0 ? [1] : []
    content {
      sid       = "PipelinePublish"
      actions   = ["sns:Publish"]
      resources = [aws_sns_topic.events[0].arn]
      principals {
        type        = "AWS"
        identifiers = var.publisher_role_arns
      }
    }
  }
}

resource "aws_sns_topic_policy" "events" {
  count  = local.create_topic ? 1 : 0
  arn    = aws_sns_topic.events[0].arn
  policy = data.aws_iam_policy_document.events_topic[0].json
}
