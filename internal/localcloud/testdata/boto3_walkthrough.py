"""The write-up's stack, built and torn down with boto3 against berth local.

Usage: boto3_walkthrough.py ENDPOINT REGION

Run with Debian's python3-boto3 (what a user's script would use), in a
region the example never uses. Every step asserts what AWS would answer;
the first wrong answer ends the script with a traceback.
"""
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, region = sys.argv[1], sys.argv[2]
session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=region)
config = Config(retries={"max_attempts": 2})


def client(name):
    return session.client(name, endpoint_url=endpoint, config=config)


def fails_with(code, call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as err:
        got = err.response["Error"]["Code"]
        assert got == code, "%s: got %s, want %s" % (call.__name__, got, code)
        return
    raise AssertionError("%s succeeded, want %s" % (call.__name__, code))


sts, ec2, iam, logs, ssm = client("sts"), client("ec2"), client("iam"), client("logs"), client("ssm")
autoscaling, ecs, elbv2 = client("autoscaling"), client("ecs"), client("elbv2")

account = sts.get_caller_identity()["Account"]
assert len(account) == 12, account
zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
assert zones and all(z.startswith(region) for z in zones), zones

# Network: a VPC, two public subnets in two zones, an internet gateway, a route table.
vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16",
                     TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "walk"}]}])["Vpc"]["VpcId"]
ec2.get_waiter("vpc_available").wait(VpcIds=[vpc])
subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.%d.0/24" % i, AvailabilityZone=zones[i % len(zones)])["Subnet"]["SubnetId"]
           for i in range(2)]
igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
assoc = [ec2.associate_route_table(RouteTableId=rtb, SubnetId=s)["AssociationId"] for s in subnets]

# Chained security groups: the ALB takes 80 from anywhere, the instances only from the ALB.
alb_sg = ec2.create_security_group(GroupName="walk-alb", Description="alb", VpcId=vpc)["GroupId"]
ec2.authorize_security_group_ingress(GroupId=alb_sg, IpPermissions=[
    {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
app_sg = ec2.create_security_group(GroupName="walk-app", Description="app", VpcId=vpc)["GroupId"]
ec2.authorize_security_group_ingress(GroupId=app_sg, IpPermissions=[
    {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "UserIdGroupPairs": [{"GroupId": alb_sg}]}])
groups = [g for page in ec2.get_paginator("describe_security_groups").paginate(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
          for g in page["SecurityGroups"]]
assert {alb_sg, app_sg} <= {g["GroupId"] for g in groups}, groups
fails_with("InvalidGroup.Duplicate", ec2.create_security_group, GroupName="walk-app", Description="again", VpcId=vpc)
fails_with("InvalidVpcID.NotFound", ec2.describe_vpcs, VpcIds=["vpc-0123456789abcdef0"])

# The instances' role and profile.
trust = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
iam.create_role(RoleName="walk-instance", AssumeRolePolicyDocument=trust)
policy = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
iam.attach_role_policy(RoleName="walk-instance", PolicyArn=policy)
iam.create_instance_profile(InstanceProfileName="walk-instance")
iam.add_role_to_instance_profile(InstanceProfileName="walk-instance", RoleName="walk-instance")
roles = [r["RoleName"] for page in iam.get_paginator("list_roles").paginate() for r in page["Roles"]]
assert "walk-instance" in roles, roles
fails_with("DeleteConflict", iam.delete_role, RoleName="walk-instance")

# Logs and the ECS-optimized AMI.
logs.create_log_group(logGroupName="/ecs/walk")
logs.put_retention_policy(logGroupName="/ecs/walk", retentionInDays=7)
group = logs.describe_log_groups(logGroupNamePrefix="/ecs/walk")["logGroups"][0]
assert group["retentionInDays"] == 7 and (":%s:" % region) in group["arn"], group
ami = ssm.get_parameter(Name="/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id")["Parameter"]["Value"]
assert ec2.describe_images(ImageIds=[ami])["Images"], ami

# Capacity: a launch template and an empty Auto Scaling group.
lt = ec2.create_launch_template(LaunchTemplateName="walk", LaunchTemplateData={
    "ImageId": ami, "InstanceType": "t2.medium", "IamInstanceProfile": {"Name": "walk-instance"},
    "SecurityGroupIds": [app_sg]})["LaunchTemplate"]["LaunchTemplateId"]
autoscaling.create_auto_scaling_group(AutoScalingGroupName="walk", MinSize=0, MaxSize=2, DesiredCapacity=0,
                                      LaunchTemplate={"LaunchTemplateId": lt, "Version": "$Latest"},
                                      VPCZoneIdentifier=",".join(subnets))
assert autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["walk"])["AutoScalingGroups"][0]["MaxSize"] == 2

# The load balancer, its target group and listener.
lb = elbv2.create_load_balancer(Name="walk", Subnets=subnets, SecurityGroups=[alb_sg])["LoadBalancers"][0]
elbv2.get_waiter("load_balancer_available").wait(LoadBalancerArns=[lb["LoadBalancerArn"]])
tg = elbv2.create_target_group(Name="walk", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip",
                               HealthCheckPath="/health")["TargetGroups"][0]["TargetGroupArn"]
listener = elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                 DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]["ListenerArn"]
fails_with("LoadBalancerNotFound", elbv2.describe_load_balancers, Names=["nope"])
fails_with("DuplicateLoadBalancerName", elbv2.create_load_balancer, Name="walk", Subnets=subnets)

# The cluster, the task definition, a service at zero tasks behind the target group.
ecs.create_cluster(clusterName="walk")
td = ecs.register_task_definition(family="walk", networkMode="awsvpc", requiresCompatibilities=["EC2"], containerDefinitions=[{
    "name": "app", "image": "walk:latest", "memory": 256, "essential": True, "portMappings": [{"containerPort": 8000}],
    "logConfiguration": {"logDriver": "awslogs", "options": {
        "awslogs-group": "/ecs/walk", "awslogs-region": region, "awslogs-stream-prefix": "app"}}}])["taskDefinition"]
assert td["revision"] == 1 and (":%s:" % region) in td["taskDefinitionArn"], td
ecs.create_service(cluster="walk", serviceName="web", taskDefinition="walk", desiredCount=0,
                   networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [app_sg]}},
                   loadBalancers=[{"targetGroupArn": tg, "containerName": "app", "containerPort": 8000}])
ecs.get_waiter("services_stable").wait(cluster="walk", services=["web"], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
fails_with("ClusterNotFoundException", ecs.describe_services, cluster="nope", services=["web"])
fails_with("InvalidParameterException", ecs.create_service, cluster="walk", serviceName="bad", taskDefinition="walk",
           desiredCount=1, launchType="MOON")

# Teardown, in reverse, and nothing is left.
ecs.delete_service(cluster="walk", service="web", force=True)
ecs.get_waiter("services_inactive").wait(cluster="walk", services=["web"], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
ecs.deregister_task_definition(taskDefinition=td["taskDefinitionArn"])
ecs.delete_cluster(cluster="walk")
elbv2.delete_listener(ListenerArn=listener)
elbv2.delete_target_group(TargetGroupArn=tg)
elbv2.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
autoscaling.delete_auto_scaling_group(AutoScalingGroupName="walk", ForceDelete=True)
ec2.delete_launch_template(LaunchTemplateId=lt)
logs.delete_log_group(logGroupName="/ecs/walk")
iam.remove_role_from_instance_profile(InstanceProfileName="walk-instance", RoleName="walk-instance")
iam.delete_instance_profile(InstanceProfileName="walk-instance")
iam.detach_role_policy(RoleName="walk-instance", PolicyArn=policy)
iam.delete_role(RoleName="walk-instance")
ec2.delete_security_group(GroupId=app_sg)
ec2.delete_security_group(GroupId=alb_sg)
for a in assoc:
    ec2.disassociate_route_table(AssociationId=a)
ec2.delete_route_table(RouteTableId=rtb)
ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
ec2.delete_internet_gateway(InternetGatewayId=igw)
for s in subnets:
    ec2.delete_subnet(SubnetId=s)
ec2.delete_vpc(VpcId=vpc)

fails_with("InvalidVpcID.NotFound", ec2.describe_vpcs, VpcIds=[vpc])
assert not elbv2.describe_load_balancers()["LoadBalancers"]
assert not autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["walk"])["AutoScalingGroups"]
assert ecs.describe_clusters(clusters=["walk"])["clusters"][0]["status"] == "INACTIVE" or \
    ecs.describe_clusters(clusters=["walk"])["failures"]
print("walkthrough done in", region, "for account", account)
