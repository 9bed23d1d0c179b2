package ecs_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

func attr(name, value, target string) types.Attribute {
	a := types.Attribute{Name: aws.String(name), TargetId: aws.String(target), TargetType: types.TargetTypeContainerInstance}
	if value != "" {
		a.Value = aws.String(value)
	}
	return a
}

func TestAttributes(t *testing.T) {
	f := startAgents(t)
	blue := f.registerAgent(t, "i-0attr00000000001", 2048, 4000)
	green := f.registerAgent(t, "i-0attr00000000002", 2048, 4000)
	blueARN, greenARN := aws.ToString(blue.ContainerInstanceArn), aws.ToString(green.ContainerInstanceArn)
	greenID := greenARN[len(greenARN)-32:]

	put, err := f.client.PutAttributes(f.ctx, &awsecs.PutAttributesInput{Cluster: aws.String("agents"), Attributes: []types.Attribute{
		attr("stack", "green", greenID), // short id with targetType
		attr("rack", "r1", blueARN),
		attr("gpu", "", greenARN), // no value
	}})
	localcloudtest.WantCode(t, err, "")
	if len(put.Attributes) != 3 || aws.ToString(put.Attributes[0].TargetId) != greenARN {
		t.Errorf("PutAttributes answered %+v", put.Attributes)
	}

	list := func(name, value string) []string {
		t.Helper()
		in := &awsecs.ListAttributesInput{Cluster: aws.String("agents"), TargetType: types.TargetTypeContainerInstance}
		if name != "" {
			in.AttributeName = aws.String(name)
		}
		if value != "" {
			in.AttributeValue = aws.String(value)
		}
		var got []string
		p := awsecs.NewListAttributesPaginator(f.client, in, func(o *awsecs.ListAttributesPaginatorOptions) { o.Limit = 2 })
		for p.HasMorePages() {
			page, err := p.NextPage(f.ctx)
			localcloudtest.WantCode(t, err, "")
			for _, a := range page.Attributes {
				got = append(got, fmt.Sprintf("%s=%s@%s", aws.ToString(a.Name), aws.ToString(a.Value), aws.ToString(a.TargetId)[len(aws.ToString(a.TargetId))-4:]))
			}
		}
		slices.Sort(got)
		return got
	}
	for _, tc := range []struct {
		name, filterName, filterValue string
		want                          []string
	}{
		{"by name", "stack", "", []string{"stack=blue@" + blueARN[len(blueARN)-4:], "stack=green@" + greenARN[len(greenARN)-4:]}},
		{"by name and value", "stack", "green", []string{"stack=green@" + greenARN[len(greenARN)-4:]}},
		{"a valueless attribute", "gpu", "", []string{"gpu=@" + greenARN[len(greenARN)-4:]}},
		{"built-in attributes too", "ecs.instance-type", "t3.medium", []string{"ecs.instance-type=t3.medium@" + blueARN[len(blueARN)-4:], "ecs.instance-type=t3.medium@" + greenARN[len(greenARN)-4:]}},
		{"nothing", "stack", "red", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			slices.Sort(tc.want)
			if got := list(tc.filterName, tc.filterValue); !slices.Equal(got, tc.want) {
				t.Errorf("ListAttributes(%s, %s) = %v, want %v", tc.filterName, tc.filterValue, got, tc.want)
			}
		})
	}
	if all := list("", ""); len(all) < 10 {
		t.Errorf("ListAttributes without a filter paged %d attributes", len(all))
	}

	// A service constrained to memberOf(stack == green) lands there only.
	_, err = f.client.CreateService(f.ctx, &awsecs.CreateServiceInput{
		Cluster: aws.String("agents"), ServiceName: aws.String("picky"), TaskDefinition: aws.String("sleeper"), DesiredCount: aws.Int32(2),
		LaunchType:           types.LaunchTypeEc2,
		PlacementConstraints: []types.PlacementConstraint{{Type: types.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:stack == green and attribute:gpu exists")}},
	})
	localcloudtest.WantCode(t, err, "")
	stable := awsecs.NewServicesStableWaiter(f.client, func(o *awsecs.ServicesStableWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 200*time.Millisecond
	})
	if err := stable.Wait(f.ctx, &awsecs.DescribeServicesInput{Cluster: aws.String("agents"), Services: []string{"picky"}}, 2*time.Minute); err != nil {
		t.Fatalf("the constrained service never became stable: %v", err)
	}
	onGreen, err := f.client.ListTasks(f.ctx, &awsecs.ListTasksInput{Cluster: aws.String("agents"), ServiceName: aws.String("picky"), ContainerInstance: aws.String(greenARN)})
	localcloudtest.WantCode(t, err, "")
	if len(onGreen.TaskArns) != 2 {
		t.Errorf("%d of the service's 2 tasks run on the green instance", len(onGreen.TaskArns))
	}
	filtered, err := f.client.ListContainerInstances(f.ctx, &awsecs.ListContainerInstancesInput{Cluster: aws.String("agents"), Filter: aws.String("attribute:stack in [green, red]")})
	localcloudtest.WantCode(t, err, "")
	if len(filtered.ContainerInstanceArns) != 1 || filtered.ContainerInstanceArns[0] != greenARN {
		t.Errorf("ListContainerInstances filter matched %v", filtered.ContainerInstanceArns)
	}

	del, err := f.client.DeleteAttributes(f.ctx, &awsecs.DeleteAttributesInput{Cluster: aws.String("agents"), Attributes: []types.Attribute{attr("rack", "", blueARN), attr("never-set", "", blueARN)}})
	localcloudtest.WantCode(t, err, "")
	if len(del.Attributes) != 2 {
		t.Errorf("DeleteAttributes answered %+v", del.Attributes)
	}
	if got := list("rack", ""); got != nil {
		t.Errorf("rack still listed: %v", got)
	}

	// Ten custom attributes per instance: "stack" from registration plus nine.
	var nine []types.Attribute
	for i := range 9 {
		nine = append(nine, attr(fmt.Sprintf("custom-%d", i), "x", blueARN))
	}
	_, err = f.client.PutAttributes(f.ctx, &awsecs.PutAttributesInput{Cluster: aws.String("agents"), Attributes: nine})
	localcloudtest.WantCode(t, err, "")

	for _, tc := range []struct {
		name  string
		attrs []types.Attribute
		code  string
	}{
		{"an eleventh custom attribute", []types.Attribute{attr("one-too-many", "x", blueARN)}, "AttributeLimitExceededException"},
		{"replacing one is no new attribute", []types.Attribute{attr("custom-0", "y", blueARN)}, ""},
		{"unknown instance", []types.Attribute{attr("a", "b", "0123456789abcdef0123456789abcdef")}, "TargetNotFoundException"},
		{"short id without targetType", []types.Attribute{{Name: aws.String("a"), TargetId: aws.String(greenID)}}, "InvalidParameterException"},
		{"bad name", []types.Attribute{attr("no spaces", "b", greenARN)}, "InvalidParameterException"},
		{"value starting with a space", []types.Attribute{attr("a", " b", greenARN)}, "InvalidParameterException"},
		{"value of 129 characters", []types.Attribute{attr("a", strings.Repeat("v", 129), greenARN)}, "InvalidParameterException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.client.PutAttributes(f.ctx, &awsecs.PutAttributesInput{Cluster: aws.String("agents"), Attributes: tc.attrs})
			localcloudtest.WantCode(t, err, tc.code)
		})
	}
	_, err = f.client.ListAttributes(f.ctx, &awsecs.ListAttributesInput{Cluster: aws.String("agents"), TargetType: types.TargetTypeContainerInstance, AttributeValue: aws.String("x")})
	localcloudtest.WantCode(t, err, "InvalidParameterException")
	_, err = f.client.ListAttributes(f.ctx, &awsecs.ListAttributesInput{Cluster: aws.String("nope"), TargetType: types.TargetTypeContainerInstance})
	localcloudtest.WantCode(t, err, "ClusterNotFoundException")
	_, err = f.client.CreateService(f.ctx, &awsecs.CreateServiceInput{
		Cluster: aws.String("agents"), ServiceName: aws.String("bad"), TaskDefinition: aws.String("sleeper"), DesiredCount: aws.Int32(1),
		PlacementConstraints: []types.PlacementConstraint{{Type: types.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:stack ==")}},
	})
	localcloudtest.WantCode(t, err, "InvalidParameterException")
}
