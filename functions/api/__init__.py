"""The admin API: one Lambda behind API Gateway (REST) with a Cognito authorizer."""
