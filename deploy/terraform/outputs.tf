output "bot_policy_arn" {
  description = "Attach to the role the bot runs as (done for bot_role_names)."
  value       = aws_iam_policy.bot.arn
}

output "bot_policy_json" {
  description = "The rendered bot policy, for review."
  value       = jsonencode(local.bot_policy)
}

output "trigger_function_name" {
  description = "Put this in mlops.config.yml as trigger.functionName."
  value       = var.deploy_trigger_lambda ? aws_lambda_function.dag_trigger[0].function_name : null
}

output "trigger_function_arn" {
  value = local.trigger_function_arn
}

output "trigger_role_arn" {
  value = var.deploy_trigger_lambda ? aws_iam_role.dag_trigger[0].arn : null
}

output "sns_topic_arn" {
  description = "Put this in mlops.config.yml under sns.topicArns BEFORE apply (known at plan: arn:<partition>:sns:<region>:<account>:<sns_topic_name>)."
  value       = local.sns_topic_arn
}

output "sns_subscription_arn" {
  value = aws_sns_topic_subscription.bot.arn
}
