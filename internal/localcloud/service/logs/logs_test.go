package logs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/service/logs"
)

func newClient(t *testing.T) (*cloudwatchlogs.Client, *localcloudtest.Cloud) {
	t.Helper()
	cloud := localcloudtest.Start(t)
	return cloudwatchlogs.NewFromConfig(cloud.Config), cloud
}

// must returns v, failing the test on err: must(c.Op(ctx, in))(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func event(at time.Time, message string) types.InputLogEvent {
	return types.InputLogEvent{Timestamp: aws.Int64(at.UnixMilli()), Message: aws.String(message)}
}

func messages[E any](events []E, message func(E) *string) string {
	var out []string
	for _, e := range events {
		out = append(out, aws.ToString(message(e)))
	}
	return strings.Join(out, ",")
}

func outputMessage(e types.OutputLogEvent) *string { return e.Message }

func TestGroupsAndStreams(t *testing.T) {
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	c, _ := newClient(t)
	must(c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/web"), Tags: map[string]string{"app": "web"}}))(t)
	_, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/web")})
	localcloudtest.WantCode(t, err, "ResourceAlreadyExistsException")
	for _, bad := range []string{"has space", "colon:name", strings.Repeat("a", 513)} {
		_, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(bad)})
		localcloudtest.WantCode(t, err, "InvalidParameterException")
	}
	must(c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/api")}))(t)
	must(c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/other")}))(t)

	groups := must(c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/ecs/")}))(t)
	if len(groups.LogGroups) != 2 || aws.ToString(groups.LogGroups[0].LogGroupName) != "/ecs/api" {
		t.Fatalf("groups = %+v", groups.LogGroups)
	}
	web := groups.LogGroups[1]
	if aws.ToString(web.Arn) != "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web:*" ||
		aws.ToString(web.LogGroupArn) != "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web" || web.RetentionInDays != nil {
		t.Errorf("web group = %+v", web)
	}
	pattern := must(c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePattern: aws.String("WEB")}))(t)
	if len(pattern.LogGroups) != 1 {
		t.Errorf("pattern match = %+v", pattern.LogGroups)
	}
	var paged []string
	for p := cloudwatchlogs.NewDescribeLogGroupsPaginator(c, &cloudwatchlogs.DescribeLogGroupsInput{Limit: aws.Int32(1)}); p.HasMorePages(); {
		for _, g := range must(p.NextPage(ctx))(t).LogGroups {
			paged = append(paged, aws.ToString(g.LogGroupName))
		}
	}
	if strings.Join(paged, ",") != "/ecs/api,/ecs/web,/other" {
		t.Errorf("paged groups = %v", paged)
	}

	_, err = c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("/ecs/web"), RetentionInDays: aws.Int32(2)})
	localcloudtest.WantCode(t, err, "InvalidParameterException")
	must(c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("/ecs/web"), RetentionInDays: aws.Int32(7)}))(t)
	groups = must(c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/ecs/web")}))(t)
	if aws.ToInt32(groups.LogGroups[0].RetentionInDays) != 7 {
		t.Errorf("retention = %v", groups.LogGroups[0].RetentionInDays)
	}
	must(c.DeleteRetentionPolicy(ctx, &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: aws.String("/ecs/web")}))(t)

	now := time.Now()
	for i, name := range []string{"web/b", "web/a", "web/c"} {
		must(c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String(name)}))(t)
		// web/b gets the newest event, web/c the oldest.
		at := now.Add(-time.Duration(i) * time.Minute)
		must(c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String(name), LogEvents: []types.InputLogEvent{event(at, name)}}))(t)
	}
	_, err = c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("web/a")})
	localcloudtest.WantCode(t, err, "ResourceAlreadyExistsException")
	_, err = c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/nope"), LogStreamName: aws.String("x")})
	localcloudtest.WantCode(t, err, "ResourceNotFoundException")

	streamNames := func(in *cloudwatchlogs.DescribeLogStreamsInput) string {
		var names []string
		for p := cloudwatchlogs.NewDescribeLogStreamsPaginator(c, in); p.HasMorePages(); {
			for _, s := range must(p.NextPage(ctx))(t).LogStreams {
				names = append(names, aws.ToString(s.LogStreamName))
			}
		}
		return strings.Join(names, ",")
	}
	tests := []struct {
		name string
		in   cloudwatchlogs.DescribeLogStreamsInput
		want string
	}{
		{"by name", cloudwatchlogs.DescribeLogStreamsInput{}, "web/a,web/b,web/c"},
		{"by name descending", cloudwatchlogs.DescribeLogStreamsInput{Descending: aws.Bool(true)}, "web/c,web/b,web/a"},
		{"by last event", cloudwatchlogs.DescribeLogStreamsInput{OrderBy: types.OrderByLastEventTime}, "web/c,web/a,web/b"},
		{"by last event descending", cloudwatchlogs.DescribeLogStreamsInput{OrderBy: types.OrderByLastEventTime, Descending: aws.Bool(true)}, "web/b,web/a,web/c"},
		{"prefix", cloudwatchlogs.DescribeLogStreamsInput{LogStreamNamePrefix: aws.String("web/b")}, "web/b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.LogGroupName, in.Limit = aws.String("/ecs/web"), aws.Int32(1)
			if got := streamNames(&in); got != tt.want {
				t.Errorf("streams = %s, want %s", got, tt.want)
			}
		})
	}
	_, err = c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/ecs/web"), OrderBy: types.OrderByLastEventTime, LogStreamNamePrefix: aws.String("w")})
	localcloudtest.WantCode(t, err, "InvalidParameterException")

	must(c.DeleteLogStream(ctx, &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("web/a")}))(t)
	_, err = c.DeleteLogStream(ctx, &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("web/a")})
	localcloudtest.WantCode(t, err, "ResourceNotFoundException")
	must(c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/ecs/web")}))(t)
	_, err = c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/ecs/web")})
	localcloudtest.WantCode(t, err, "ResourceNotFoundException")
	_, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("web/b")})
	localcloudtest.WantCode(t, err, "ResourceNotFoundException")
}

func TestPutAndGetLogEvents(t *testing.T) {
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	c, _ := newClient(t)
	group, stream := aws.String("/ecs/web"), aws.String("s")
	must(c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: group}))(t)
	_, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: group, LogStreamName: stream, LogEvents: []types.InputLogEvent{event(time.Now(), "x")}})
	localcloudtest.WantCode(t, err, "ResourceNotFoundException") // the stream does not exist yet
	must(c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: group, LogStreamName: stream}))(t)

	base := time.Now().Add(-time.Hour)
	_, err = c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: group, LogStreamName: stream,
		LogEvents: []types.InputLogEvent{event(base.Add(time.Second), "late"), event(base, "early")}})
	localcloudtest.WantCode(t, err, "InvalidParameterException") // not chronological

	_, err = c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: group, LogStreamName: stream,
		LogEvents: []types.InputLogEvent{event(base.Add(-25*time.Hour), "a"), event(base, "b")}})
	localcloudtest.WantCode(t, err, "InvalidParameterException") // spans more than 24 hours

	old := must(c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: group, LogStreamName: stream,
		LogEvents: []types.InputLogEvent{event(time.Now().Add(-15*24*time.Hour), "too old"), event(time.Now().Add(-15*24*time.Hour+time.Minute), "too old")}}))(t)
	if info := old.RejectedLogEventsInfo; info == nil || aws.ToInt32(info.TooOldLogEventEndIndex) != 2 || info.TooNewLogEventStartIndex != nil {
		t.Fatalf("too old: %+v", info)
	}
	put := must(c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: group, LogStreamName: stream, SequenceToken: aws.String("ignored"),
		LogEvents: []types.InputLogEvent{
			event(base, "e1"), event(base.Add(time.Second), "e2"), event(base.Add(2*time.Second), "e3"),
			event(time.Now().Add(3*time.Hour), "too new"),
		}}))(t)
	info := put.RejectedLogEventsInfo
	if info == nil || info.TooOldLogEventEndIndex != nil || aws.ToInt32(info.TooNewLogEventStartIndex) != 3 || put.NextSequenceToken == nil {
		t.Fatalf("PutLogEvents = %+v / %+v", put, info)
	}
	// A later batch may carry earlier timestamps: reads still come in time order.
	must(c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: group, LogStreamName: stream,
		LogEvents: []types.InputLogEvent{event(base.Add(-time.Second), "e0"), event(base.Add(3*time.Second), "e4")}}))(t)

	head := must(c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: group, LogStreamName: stream, StartFromHead: aws.Bool(true), Limit: aws.Int32(2)}))(t)
	if got := messages(head.Events, outputMessage); got != "e0,e1" {
		t.Fatalf("first page = %s", got)
	}
	next := must(c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: group, LogStreamName: stream, NextToken: head.NextForwardToken, Limit: aws.Int32(2)}))(t)
	if got := messages(next.Events, outputMessage); got != "e2,e3" {
		t.Fatalf("second page = %s", got)
	}
	last := must(c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: group, LogStreamName: stream, NextToken: next.NextForwardToken, Limit: aws.Int32(2)}))(t)
	end := must(c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: group, LogStreamName: stream, NextToken: last.NextForwardToken, Limit: aws.Int32(2)}))(t)
	if got := messages(last.Events, outputMessage); got != "e4" || len(end.Events) != 0 || aws.ToString(end.NextForwardToken) != aws.ToString(last.NextForwardToken) {
		t.Fatalf("end of stream: last page %s, then %d events, token %s → %s", got, len(end.Events), aws.ToString(last.NextForwardToken), aws.ToString(end.NextForwardToken))
	}
	// The repeated forward token picks up events that arrive later.
	must(c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: group, LogStreamName: stream, LogEvents: []types.InputLogEvent{event(base.Add(4*time.Second), "e5")}}))(t)
	resumed := must(c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: group, LogStreamName: stream, NextToken: end.NextForwardToken}))(t)
	if got := messages(resumed.Events, outputMessage); got != "e5" {
		t.Errorf("after new events = %s", got)
	}

	tail := must(c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: group, LogStreamName: stream, Limit: aws.Int32(2)}))(t)
	if got := messages(tail.Events, outputMessage); got != "e4,e5" {
		t.Errorf("default (tail) page = %s", got)
	}
	back := must(c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: group, LogStreamName: stream, NextToken: tail.NextBackwardToken, Limit: aws.Int32(2)}))(t)
	if got := messages(back.Events, outputMessage); got != "e2,e3" {
		t.Errorf("backward page = %s", got)
	}
	window := must(c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: group, LogStreamName: stream, StartFromHead: aws.Bool(true),
		StartTime: aws.Int64(base.UnixMilli()), EndTime: aws.Int64(base.Add(2 * time.Second).UnixMilli())}))(t)
	if got := messages(window.Events, outputMessage); got != "e1,e2" {
		t.Errorf("time window = %s", got)
	}

	var all []string
	p := cloudwatchlogs.NewGetLogEventsPaginator(c, &cloudwatchlogs.GetLogEventsInput{LogGroupName: group, LogStreamName: stream, StartFromHead: aws.Bool(true), Limit: aws.Int32(4)},
		func(o *cloudwatchlogs.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
	for p.HasMorePages() {
		all = append(all, messages(must(p.NextPage(ctx))(t).Events, outputMessage))
	}
	if got := strings.Trim(strings.Join(all, ","), ","); got != "e0,e1,e2,e3,e4,e5" {
		t.Errorf("paginator read %s", got)
	}
}

func TestFilterLogEvents(t *testing.T) {
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	c, _ := newClient(t)
	group := aws.String("/ecs/web")
	must(c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: group}))(t)
	base := time.Now().Add(-time.Hour)
	streams := map[string][]types.InputLogEvent{
		"web/1": {event(base, "GET /health 200"), event(base.Add(2*time.Second), "GET /items 500 internal error")},
		"web/2": {event(base.Add(time.Second), "POST /items 201"), event(base.Add(3*time.Second), "GET /items 200")},
		"db/1":  {event(base.Add(4*time.Second), "slow query")},
	}
	for name, events := range streams {
		must(c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: group, LogStreamName: aws.String(name)}))(t)
		must(c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: group, LogStreamName: aws.String(name), LogEvents: events}))(t)
	}
	tests := []struct {
		name string
		in   cloudwatchlogs.FilterLogEventsInput
		want string
	}{
		{"all interleaved", cloudwatchlogs.FilterLogEventsInput{}, "GET /health 200,POST /items 201,GET /items 500 internal error,GET /items 200,slow query"},
		{"term", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("GET")}, "GET /health 200,GET /items 500 internal error,GET /items 200"},
		{"terms are ANDed", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("GET /items")}, "GET /items 500 internal error,GET /items 200"},
		{"quoted phrase", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String(`"internal error"`)}, "GET /items 500 internal error"},
		{"optional terms", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("?201 ?slow")}, "POST /items 201,slow query"},
		{"excluded term", cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("GET -200")}, "GET /items 500 internal error"},
		{"stream prefix", cloudwatchlogs.FilterLogEventsInput{LogStreamNamePrefix: aws.String("web/")}, "GET /health 200,POST /items 201,GET /items 500 internal error,GET /items 200"},
		{"stream names", cloudwatchlogs.FilterLogEventsInput{LogStreamNames: []string{"db/1", "web/2"}}, "POST /items 201,GET /items 200,slow query"},
		{"time window", cloudwatchlogs.FilterLogEventsInput{StartTime: aws.Int64(base.Add(time.Second).UnixMilli()), EndTime: aws.Int64(base.Add(3 * time.Second).UnixMilli())}, "POST /items 201,GET /items 500 internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.LogGroupName, in.Limit = group, aws.Int32(2)
			var got []string
			seen := map[string]bool{}
			for p := cloudwatchlogs.NewFilterLogEventsPaginator(c, &in); p.HasMorePages(); {
				for _, e := range must(p.NextPage(ctx))(t).Events {
					got = append(got, aws.ToString(e.Message))
					if seen[aws.ToString(e.EventId)] {
						t.Errorf("event id %s repeats", aws.ToString(e.EventId))
					}
					seen[aws.ToString(e.EventId)] = true
				}
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("got %s\nwant %s", strings.Join(got, ","), tt.want)
			}
		})
	}
	_, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: group, LogStreamNames: []string{"a"}, LogStreamNamePrefix: aws.String("b")})
	localcloudtest.WantCode(t, err, "InvalidParameterException")
}

func TestTags(t *testing.T) {
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	c, _ := newClient(t)
	must(c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g"), Tags: map[string]string{"a": "1"}}))(t)
	arn := aws.String("arn:aws:logs:us-east-1:000000000000:log-group:g")
	must(c.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"b": "2"}}))(t)
	must(c.UntagResource(ctx, &cloudwatchlogs.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"a"}}))(t)
	tags := must(c.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: arn}))(t)
	if len(tags.Tags) != 1 || tags.Tags["b"] != "2" {
		t.Errorf("tags = %v", tags.Tags)
	}
	//lint:ignore SA1019 the older tagging API is still served: older tools call it
	must(c.TagLogGroup(ctx, &cloudwatchlogs.TagLogGroupInput{LogGroupName: aws.String("g"), Tags: map[string]string{"c": "3"}}))(t)
	//lint:ignore SA1019 as above
	old := must(c.ListTagsLogGroup(ctx, &cloudwatchlogs.ListTagsLogGroupInput{LogGroupName: aws.String("g")}))(t)
	if len(old.Tags) != 2 {
		t.Errorf("ListTagsLogGroup = %v", old.Tags)
	}
	_, err := c.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:none")})
	localcloudtest.WantCode(t, err, "ResourceNotFoundException")
}

// The data plane's entry points share PutLogEvents' code path.
func TestAppendFromTheDataPlane(t *testing.T) {
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	c, cloud := newClient(t)
	backend := cloud.Cloud.Logs
	err := backend.Append(ctx, "/ecs/missing", "s", []logs.Event{{Time: time.Now(), Message: "x"}})
	var apiErr *protocol.Error
	if !errors.As(err, &apiErr) || apiErr.Code != "ResourceNotFoundException" {
		t.Fatalf("Append to a missing group: %v", err)
	}
	if err := backend.CreateGroupIfMissing(ctx, "/ecs/web"); err != nil {
		t.Fatal(err)
	}
	if err := backend.CreateGroupIfMissing(ctx, "/ecs/web"); err != nil {
		t.Fatalf("second CreateGroupIfMissing: %v", err)
	}
	now := time.Now()
	var events []logs.Event
	for i := range 1200 { // more than one stored chunk
		events = append(events, logs.Event{Time: now.Add(time.Duration(i) * time.Millisecond), Message: fmt.Sprintf("line %d", i)})
	}
	events[0], events[1] = events[1], events[0] // the driver sorts; so does Append
	if err := backend.Append(ctx, "/ecs/web", "web/app/1", events); err != nil {
		t.Fatal(err)
	}
	out := must(c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("web/app/1"), StartFromHead: aws.Bool(true)}))(t)
	if len(out.Events) != 1200 || aws.ToString(out.Events[0].Message) != "line 0" || aws.ToString(out.Events[1199].Message) != "line 1199" {
		t.Errorf("read %d events, first %q", len(out.Events), aws.ToString(out.Events[0].Message))
	}
	streams := must(c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/ecs/web")}))(t)
	if len(streams.LogStreams) != 1 || aws.ToInt64(streams.LogStreams[0].LastEventTimestamp) != events[1199].Time.UnixMilli() {
		t.Errorf("streams = %+v", streams.LogStreams)
	}
}

// `aws logs tail` (AWS CLI v2) reads through FilterLogEvents; CLI v1 has no
// tail, so there the same call is made with filter-log-events.
func TestAWSCLILogsTail(t *testing.T) {
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	c, cloud := newClient(t)
	must(c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/web")}))(t)
	must(c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("web/1")}))(t)
	now := time.Now().Add(-time.Minute)
	must(c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("web/1"),
		LogEvents: []types.InputLogEvent{event(now, "hello from the task"), event(now.Add(time.Second), "second line")}}))(t)

	run := func(args ...string) (string, error) {
		out, err := localcloudtest.AWSCLI(t, cloud.Endpoint, "us-east-1", args...)
		return string(out), err
	}
	version, _ := run("--version")
	if strings.HasPrefix(version, "aws-cli/2") {
		out, err := run("logs", "tail", "/ecs/web", "--since", "10m", "--format", "short")
		if err != nil {
			t.Fatalf("aws logs tail: %v\n%s", err, out)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 || !strings.HasSuffix(lines[0], "hello from the task") || !strings.HasSuffix(lines[1], "second line") {
			t.Errorf("aws logs tail printed:\n%s", out)
		}
		return
	}
	start := fmt.Sprint(now.Add(-10 * time.Minute).UnixMilli())
	out, err := run("logs", "filter-log-events", "--log-group-name", "/ecs/web", "--start-time", start, "--interleaved",
		"--page-size", "1", "--output", "text", "--query", "events[].message")
	if err != nil {
		t.Fatalf("aws logs filter-log-events: %v\n%s", err, out)
	}
	if got := strings.Join(strings.Fields(strings.ReplaceAll(out, "\t", " ")), " "); got != "hello from the task second line" {
		t.Errorf("aws logs filter-log-events printed %q", out)
	}
}

// Groups and streams page through the SDK's own paginators, with groups
// created between pages, and a token berth did not make is refused.
func TestGroupsAndStreamsPage(t *testing.T) {
	ctx := localcloudtest.InRegion(context.Background(), "eu-west-1")
	cloud := localcloudtest.StartControlPlane(t)
	c := cloudwatchlogs.NewFromConfig(cloud.ConfigIn("eu-west-1"))
	for i := range 7 {
		must(c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(fmt.Sprintf("/app/%02d", i))}))(t)
		must(c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/app/00"), LogStreamName: aws.String(fmt.Sprintf("web/%02d", i))}))(t)
	}
	var groups []string
	pages := cloudwatchlogs.NewDescribeLogGroupsPaginator(c, &cloudwatchlogs.DescribeLogGroupsInput{Limit: aws.Int32(3)})
	for pages.HasMorePages() {
		out := must(pages.NextPage(ctx))(t)
		for _, g := range out.LogGroups {
			groups = append(groups, aws.ToString(g.LogGroupName))
		}
		if len(groups) == 3 {
			// A group made between pages sorts before the token: it is not
			// seen, and nothing is seen twice.
			must(c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/app/000")}))(t)
		}
	}
	if got := strings.Join(groups, ","); got != "/app/00,/app/01,/app/02,/app/03,/app/04,/app/05,/app/06" {
		t.Errorf("groups paged as %s", got)
	}
	var streams []string
	streamPages := cloudwatchlogs.NewDescribeLogStreamsPaginator(c, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/app/00"), Limit: aws.Int32(2), Descending: aws.Bool(true)})
	for streamPages.HasMorePages() {
		for _, s := range must(streamPages.NextPage(ctx))(t).LogStreams {
			streams = append(streams, aws.ToString(s.LogStreamName))
		}
	}
	if got := strings.Join(streams, ","); got != "web/06,web/05,web/04,web/03,web/02,web/01,web/00" {
		t.Errorf("streams paged as %s", got)
	}
	_, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{NextToken: aws.String("not-a-token")})
	localcloudtest.WantCode(t, err, "InvalidParameterException")
}
