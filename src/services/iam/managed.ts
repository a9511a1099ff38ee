// AWS managed policies Berth knows (arn:aws:iam::aws:policy/…): the ones ECS guides attach. Their
// documents here cover the services Berth serves; AWS's own are longer.
export interface ManagedPolicy { name: string; path: string; document: string; description: string }

const doc = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

export const AWS_MANAGED: readonly ManagedPolicy[] = [
  { name: 'AdministratorAccess', path: '/', description: 'Provides full access to AWS services and resources.',
    document: doc([{ Effect: 'Allow', Action: '*', Resource: '*' }]) },
  { name: 'ReadOnlyAccess', path: '/', description: 'Provides read-only access to AWS services and resources.',
    document: doc([{ Effect: 'Allow', Action: ['ecs:Describe*', 'ecs:List*', 'iam:Get*', 'iam:List*', 'logs:Describe*', 'logs:Get*', 'cloudwatch:Describe*', 'cloudwatch:Get*', 'cloudwatch:List*', 'elasticloadbalancing:Describe*', 'ecr:Describe*', 'ecr:List*', 'ecr:BatchGet*', 'ecr:Get*'], Resource: '*' }]) },
  { name: 'AmazonECS_FullAccess', path: '/', description: 'Provides administrative access to Amazon ECS resources.',
    document: doc([{ Effect: 'Allow', Action: ['ecs:*', 'elasticloadbalancing:*', 'logs:*', 'cloudwatch:*', 'application-autoscaling:*'], Resource: '*' },
      { Effect: 'Allow', Action: 'iam:PassRole', Resource: '*', Condition: { StringLike: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } } }]) },
  { name: 'AmazonEC2ContainerServiceforEC2Role', path: '/service-role/', description: 'Default policy for the Amazon EC2 Role for Amazon EC2 Container Service.',
    document: doc([{ Effect: 'Allow', Action: ['ecs:CreateCluster', 'ecs:DeregisterContainerInstance', 'ecs:DiscoverPollEndpoint', 'ecs:Poll', 'ecs:RegisterContainerInstance', 'ecs:StartTelemetrySession', 'ecs:UpdateContainerInstancesState', 'ecs:Submit*', 'ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' },
      { Effect: 'Allow', Action: 'ecs:TagResource', Resource: '*', Condition: { StringEquals: { 'ecs:CreateAction': ['CreateCluster', 'RegisterContainerInstance'] } } }]) },
  { name: 'AmazonECSTaskExecutionRolePolicy', path: '/service-role/', description: 'Provides access to other AWS service resources that are required to run Amazon ECS tasks',
    document: doc([{ Effect: 'Allow', Action: ['ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }]) },
];

export const awsManagedArn = (p: ManagedPolicy) => `arn:aws:iam::aws:policy${p.path}${p.name}`;
const byArn = new Map(AWS_MANAGED.map((p) => [awsManagedArn(p), p]));
export const awsManaged = (arn: string) => byArn.get(arn);
