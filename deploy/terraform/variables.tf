variable "name_prefix" {
  description = "Prefix of every resource name (IAM roles and policies, the Lambda function, its log group)."
  type        = string
  default     = "mlops"
}

variable "tags" {
  description = "Tags added to every resource that takes them."
  type        = map(string)
  default     = {}
}

# --- How the bot starts DAGs (mlops.config.yml `trigger.kind`) -------------------------------------

variable "trigger_kind" {
  description = "Same as `trigger.kind` in mlops.config.yml: `lambda` (the bot invokes the DAG-trigger Lambda) or `mwaa` (the bot calls MWAA InvokeRestApi itself). Decides which statement the bot policy keeps."
  type        = string
  default     = "lambda"
  validation {
    condition     = contains(["lambda", "mwaa"], var.trigger_kind)
    error_message = "trigger_kind must be \"lambda\" or \"mwaa\"."
  }
}

variable "mwaa_environment_name" {
  description = "Name of the Amazon MWAA environment (Airflow >= 2.4.3, for InvokeRestApi)."
  type        = string
}

variable "airflow_role" {
  description = "Airflow RBAC role that InvokeRestApi calls are mapped to. `User` may trigger and read DAG runs; avoid `Admin`."
  type        = string
  default     = "User"
}

# --- The DAG-trigger Lambda ------------------------------------------------------------------------

variable "deploy_trigger_lambda" {
  description = "Create the DAG-trigger Lambda (GitLab CI calls it too, so it is usually wanted even with trigger_kind = mwaa)."
  type        = bool
  default     = true
}

variable "trigger_function_name" {
  description = "Name of the DAG-trigger Lambda; use the same value as `trigger.functionName` in mlops.config.yml."
  type        = string
  default     = "mlops-dag-trigger"
}

variable "existing_trigger_function_arn" {
  description = "With deploy_trigger_lambda = false and trigger_kind = lambda: ARN of a trigger function managed elsewhere."
  type        = string
  default     = ""
}

variable "allowed_dags" {
  description = "DAG ids the Lambda may start or inspect (its ALLOWED_DAGS): the training and deployment DAGs of every model in mlops.config.yml."
  type        = list(string)
  validation {
    condition     = length(var.allowed_dags) > 0 && alltrue([for d in var.allowed_dags : can(regex("^[A-Za-z0-9_.-]{1,250}$", d))])
    error_message = "allowed_dags must list at least one Airflow DAG id (letters, digits, _ . -)."
  }
}

variable "lambda_zip_path" {
  description = "The function's zip, built by `npm run package` in lambda/dag-trigger (default: its dist/dag-trigger.zip)."
  type        = string
  default     = null
}

variable "lambda_log_retention_days" {
  description = "Retention of the Lambda's CloudWatch log group."
  type        = number
  default     = 30
}

variable "lambda_subnet_ids" {
  description = "Optional: run the Lambda in these subnets (only needed when the AWS APIs are reached through VPC endpoints). Empty: no VPC."
  type        = list(string)
  default     = []
}

variable "lambda_security_group_ids" {
  description = "Security groups of the Lambda when lambda_subnet_ids is set."
  type        = list(string)
  default     = []
}

variable "ci_role_names" {
  description = "IAM roles (e.g. the GitLab runner's) that may invoke the trigger Lambda, as the pipeline's deploy job did before the bot."
  type        = list(string)
  default     = []
}

# --- The bot's identity ----------------------------------------------------------------------------

variable "bot_role_names" {
  description = "Existing IAM roles the bot runs as (an EKS IRSA role, an ECS task role, an EC2 instance role): the bot policy is attached to each."
  type        = list(string)
  default     = []
}

variable "endpoint_name_pattern" {
  description = "SageMaker endpoints the bot may describe (IAM ARN pattern, lowercase). Narrow it, e.g. `fraud-detector-*`."
  type        = string
  default     = "*"
}

variable "endpoint_config_name_pattern" {
  description = "SageMaker endpoint configs the bot may describe (IAM ARN pattern, lowercase)."
  type        = string
  default     = "*"
}

variable "training_job_name_pattern" {
  description = "SageMaker training jobs the bot may describe (IAM ARN pattern, lowercase)."
  type        = string
  default     = "*"
}

# --- SNS -------------------------------------------------------------------------------------------

variable "bot_public_url" {
  description = "HTTPS base URL where the bot is reachable from SNS, e.g. https://mlops-bot.example.com (the subscription goes to <url>/hooks/sns)."
  type        = string
  validation {
    condition     = can(regex("^https://[^/]+", var.bot_public_url))
    error_message = "bot_public_url must be an https:// URL (SNS HTTPS subscription)."
  }
}

variable "sns_topic_arn" {
  description = "The pipeline's existing SNS topic (the one its DAGs publish to with SnsPublishOperator). Empty: a topic is created."
  type        = string
  default     = ""
}

variable "sns_topic_name" {
  description = "Name of the topic created when sns_topic_arn is empty."
  type        = string
  default     = "mlops-events"
}

variable "forward_training_job_events" {
  description = "For a created topic: route EventBridge `SageMaker Training Job State Change` events to it, so jobs that die outside Airflow still reach the bot."
  type        = bool
  default     = true
}

variable "model_package_groups" {
  description = "SageMaker Model Registry groups the bot follows (the models' `modelPackageGroup`): the bot may describe and approve/reject their packages, and (for a created topic) their approval status changes are routed to it."
  type        = list(string)
  default     = []
}

variable "publisher_role_arns" {
  description = "For a created topic: IAM role ARNs that may publish pipeline events to it (the MWAA execution role for SnsPublishOperator, a CI role). Nobody else in the account may: the bot trusts SNS messages by topic. EventBridge (training jobs) and CloudWatch alarms of this account are always allowed."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for a in var.publisher_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", a))])
    error_message = "publisher_role_arns must be IAM role ARNs (arn:aws:iam::<account>:role/<name>)."
  }
}
