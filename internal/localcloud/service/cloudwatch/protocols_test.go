package cloudwatch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// mustCLI runs the real AWS CLI (botocore ≥ 1.42.7 sends CloudWatch calls
// as awsJson 1.0) and returns its JSON output.
func mustCLI(t *testing.T, endpoint string, args ...string) map[string]any {
	t.Helper()
	out := map[string]any{}
	localcloudtest.MustAWSCLI(t, endpoint, "us-east-1", &out, args...)
	return out
}

func TestAWSCLI(t *testing.T) {
	f := start(t)
	at := time.Now().UTC().Truncate(time.Minute)
	ts := at.Format(time.RFC3339)
	mustCLI(t, f.cloud.Endpoint, "cloudwatch", "put-metric-data", "--namespace", "App", "--metric-name", "Requests",
		"--dimensions", "Service=web", "--value", "7", "--unit", "Count", "--timestamp", ts)
	mustCLI(t, f.cloud.Endpoint, "cloudwatch", "put-metric-data", "--namespace", "App", "--metric-name", "Requests",
		"--dimensions", "Service=web", "--value", "5", "--unit", "Count", "--timestamp", ts)

	stats := mustCLI(t, f.cloud.Endpoint, "cloudwatch", "get-metric-statistics", "--namespace", "App", "--metric-name", "Requests",
		"--dimensions", "Name=Service,Value=web", "--start-time", ts, "--end-time", at.Add(time.Minute).Format(time.RFC3339),
		"--period", "60", "--statistics", "Sum", "Maximum", "SampleCount")
	points, _ := stats["Datapoints"].([]any)
	if len(points) != 1 {
		t.Fatalf("get-metric-statistics: %v", stats)
	}
	p := points[0].(map[string]any)
	if p["Sum"] != 12.0 || p["Maximum"] != 7.0 || p["SampleCount"] != 2.0 || p["Unit"] != "Count" || stats["Label"] != "Requests" {
		t.Fatalf("datapoint = %v, want Sum 12, Maximum 7, SampleCount 2, Count", p)
	}
	// AWS CLI v1 prints timestamps as they came over the wire
	// (cli_timestamp_format "none"): awsJson's epoch seconds.
	if stamp, _ := p["Timestamp"].(float64); stamp != float64(at.Unix()) {
		t.Fatalf("timestamp %v, want %d (%s)", p["Timestamp"], at.Unix(), ts)
	}

	mustCLI(t, f.cloud.Endpoint, "cloudwatch", "put-metric-alarm", "--alarm-name", "many-requests", "--namespace", "App",
		"--metric-name", "Requests", "--dimensions", "Name=Service,Value=web", "--statistic", "Sum", "--period", "60",
		"--evaluation-periods", "1", "--threshold", "10", "--comparison-operator", "GreaterThanThreshold", "--tags", "Key=team,Value=a")
	f.evaluate(t, at.Add(30*time.Second))
	alarms := mustCLI(t, f.cloud.Endpoint, "cloudwatch", "describe-alarms", "--alarm-names", "many-requests")
	list, _ := alarms["MetricAlarms"].([]any)
	if len(list) != 1 {
		t.Fatalf("describe-alarms: %v", alarms)
	}
	a := list[0].(map[string]any)
	if a["StateValue"] != "ALARM" || a["Threshold"] != 10.0 || a["EvaluationPeriods"] != 1.0 || a["ActionsEnabled"] != true {
		t.Fatalf("alarm = %v, want ALARM (12 > 10)", a)
	}
	if stamp, _ := a["StateUpdatedTimestamp"].(float64); stamp < float64(at.Unix()-60) {
		t.Fatalf("StateUpdatedTimestamp = %#v, want epoch seconds of about now", a["StateUpdatedTimestamp"])
	}

	// Errors: botocore reports the query code the header carries.
	_, err := localcloudtest.AWSCLI(t, f.cloud.Endpoint, "us-east-1", "cloudwatch", "set-alarm-state", "--alarm-name", "nope", "--state-value", "OK", "--state-reason", "x")
	if err == nil || !strings.Contains(err.Error(), "(ResourceNotFound)") {
		t.Fatalf("set-alarm-state of a missing alarm: %v", err)
	}
	_, err = localcloudtest.AWSCLI(t, f.cloud.Endpoint, "us-east-1", "cloudwatch", "put-metric-data", "--namespace", "AWS/EC2", "--metric-name", "x", "--value", "1")
	if err == nil || !strings.Contains(err.Error(), "(InvalidParameterValue)") {
		t.Fatalf("put-metric-data to AWS/EC2: %v", err)
	}
}

// queryCall posts a query-protocol form, as SDKs older than CloudWatch's
// JSON and CBOR support do.
func queryCall(t *testing.T, endpoint string, form url.Values) (int, []byte) {
	t.Helper()
	form.Set("Version", "2010-08-01")
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20261201/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestQueryProtocol(t *testing.T) {
	f := start(t)
	at := time.Now().UTC().Truncate(time.Minute)
	status, body := queryCall(t, f.cloud.Endpoint, url.Values{
		"Action": {"PutMetricData"}, "Namespace": {"Legacy"},
		"MetricData.member.1.MetricName":                {"Queue"},
		"MetricData.member.1.Dimensions.member.1.Name":  {"Name"},
		"MetricData.member.1.Dimensions.member.1.Value": {"jobs"},
		"MetricData.member.1.Timestamp":                 {at.Format("2006-01-02T15:04:05.000Z")},
		"MetricData.member.1.Values.member.1":           {"3"},
		"MetricData.member.1.Values.member.2":           {"4"},
		"MetricData.member.1.Counts.member.1":           {"1"},
		"MetricData.member.1.Counts.member.2":           {"2"},
		"MetricData.member.1.Unit":                      {"Count"},
	})
	if status != 200 || !bytes.Contains(body, []byte(`<PutMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">`)) {
		t.Fatalf("PutMetricData over query: %d %s", status, body)
	}
	out, err := f.client.GetMetricStatistics(f.ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("Legacy"), MetricName: aws.String("Queue"),
		Dimensions: dims("Name", "jobs"), StartTime: aws.Time(at), EndTime: aws.Time(at.Add(time.Minute)), Period: aws.Int32(60),
		Statistics: []types.Statistic{types.StatisticSum, types.StatisticSampleCount}})
	localcloudtest.WantCode(t, err, "")
	if len(out.Datapoints) != 1 || *out.Datapoints[0].Sum != 11 || *out.Datapoints[0].SampleCount != 3 {
		t.Fatalf("the query put gave %+v, want sum 11 over 3 samples", out.Datapoints)
	}

	status, body = queryCall(t, f.cloud.Endpoint, url.Values{"Action": {"GetMetricStatistics"}, "Namespace": {"Legacy"}, "MetricName": {"Queue"},
		"Dimensions.member.1.Name": {"Name"}, "Dimensions.member.1.Value": {"jobs"},
		"StartTime": {at.Format(time.RFC3339)}, "EndTime": {at.Add(time.Minute).Format(time.RFC3339)}, "Period": {"60"},
		"ExtendedStatistics.member.1": {"p50"}})
	var stats struct {
		Label      string `xml:"GetMetricStatisticsResult>Label"`
		Datapoints []struct {
			Timestamp string
			Unit      string
			Entries   []struct {
				Key   string  `xml:"key"`
				Value float64 `xml:"value"`
			} `xml:"ExtendedStatistics>entry"`
		} `xml:"GetMetricStatisticsResult>Datapoints>member"`
	}
	if err := xml.Unmarshal(body, &stats); err != nil || status != 200 || stats.Label != "Queue" || len(stats.Datapoints) != 1 {
		t.Fatalf("GetMetricStatistics over query: %d %v\n%s", status, err, body)
	}
	dp := stats.Datapoints[0]
	if dp.Timestamp != at.Format("2006-01-02T15:04:05.000Z") || dp.Unit != "Count" || len(dp.Entries) != 1 || dp.Entries[0].Key != "p50" || dp.Entries[0].Value != 4 {
		t.Fatalf("datapoint over query = %+v\n%s", dp, body)
	}

	_, err = f.client.PutMetricAlarm(f.ctx, alarmInput("legacy-alarm"))
	localcloudtest.WantCode(t, err, "")
	status, body = queryCall(t, f.cloud.Endpoint, url.Values{"Action": {"DescribeAlarms"}, "AlarmNames.member.1": {"legacy-alarm"}})
	var described struct {
		Result struct {
			MetricAlarms []struct {
				AlarmName  string
				StateValue string
				Threshold  float64
				Dimensions []struct{ Name, Value string } `xml:"Dimensions>member"`
				Updated    string                         `xml:"StateUpdatedTimestamp"`
				Actions    []string                       `xml:"AlarmActions>member"`
			} `xml:"MetricAlarms>member"`
		} `xml:"DescribeAlarmsResult"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal(body, &described); err != nil || status != 200 {
		t.Fatalf("DescribeAlarms over query: %d %v\n%s", status, err, body)
	}
	alarms := described.Result.MetricAlarms
	if len(alarms) != 1 || alarms[0].AlarmName != "legacy-alarm" || alarms[0].StateValue != "INSUFFICIENT_DATA" || alarms[0].Threshold != 80 ||
		len(alarms[0].Dimensions) != 1 || alarms[0].Dimensions[0].Value != "web" || len(alarms[0].Actions) != 1 || described.RequestID == "" {
		t.Fatalf("DescribeAlarms over query = %+v\n%s", described, body)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", alarms[0].Updated); err != nil {
		t.Fatalf("StateUpdatedTimestamp %q is not ISO 8601: %v", alarms[0].Updated, err)
	}

	status, body = queryCall(t, f.cloud.Endpoint, url.Values{"Action": {"SetAlarmState"}, "AlarmName": {"nope"}, "StateValue": {"OK"}, "StateReason": {"x"}})
	var errDoc struct {
		Type string `xml:"Error>Type"`
		Code string `xml:"Error>Code"`
	}
	if err := xml.Unmarshal(body, &errDoc); err != nil || status != 404 || errDoc.Code != "ResourceNotFound" || errDoc.Type != "Sender" {
		t.Fatalf("SetAlarmState of a missing alarm over query: %d %+v %v\n%s", status, errDoc, err, body)
	}
}

// The awsJson 1.0 wire, checked by hand: content type, the full shape id in
// __type and the query code in x-amzn-query-error.
func TestJSONErrorShape(t *testing.T) {
	f := start(t)
	req, err := http.NewRequest(http.MethodPost, f.cloud.Endpoint+"/", strings.NewReader(`{"AlarmName":"nope","StateValue":"OK","StateReason":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "GraniteServiceVersion20100801.SetAlarmState")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/x-amz-json-1.0" ||
		resp.Header.Get("X-Amzn-Query-Error") != "ResourceNotFound;Sender" || body["__type"] != "com.amazonaws.cloudwatch#ResourceNotFound" {
		t.Fatalf("reply %d %s %q %v", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("X-Amzn-Query-Error"), body)
	}
}

// A CBOR request for an operation CloudWatch lacks, or a service not here,
// still gets a CBOR reply the SDK can read.
func TestCBORRouting(t *testing.T) {
	f := start(t)
	for path, want := range map[string]int{
		"/service/GraniteServiceVersion20100801/operation/NoSuchThing": 400,
		"/service/NoSuchService/operation/ListMetrics":                 400,
		"/service/GraniteServiceVersion20100801":                       400,
	} {
		req, err := http.NewRequest(http.MethodPost, f.cloud.Endpoint+path, bytes.NewReader([]byte{0xa0}))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
		req.Header.Set("Content-Type", "application/cbor")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want || resp.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" || resp.Header.Get("Content-Type") != "application/cbor" {
			t.Errorf("%s: %d %q %q, want %s with the CBOR headers", path, resp.StatusCode, resp.Header.Get("Smithy-Protocol"), resp.Header.Get("Content-Type"), strconv.Itoa(want))
		}
	}
}

// With --require-sigv4 the CBOR calls are verified like any other, and a
// refused one is answered in CBOR.
func TestCBORSignatures(t *testing.T) {
	cloud := localcloudtest.StartWithOptions(t, localcloud.Options{SigV4Keys: map[string]string{"AKIDCW": "right-secret"}})
	for _, tt := range []struct {
		secret string
		code   string
	}{{"right-secret", ""}, {"wrong-secret", "SignatureDoesNotMatch"}} {
		t.Run(tt.secret, func(t *testing.T) {
			cfg := cloud.Config.Copy()
			cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIDCW", tt.secret, "")
			wire := &recorder{inner: http.DefaultTransport}
			client := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
				o.HTTPClient = &http.Client{Transport: wire}
				o.RetryMaxAttempts = 1
			})
			_, err := client.ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{})
			localcloudtest.WantCode(t, err, tt.code) // CloudWatch is query-compatible: the query protocol's code
			if tt.code == "" {                       // a gzip body is signed as sent, compressed
				var data []types.MetricDatum
				for i := range 400 {
					data = append(data, types.MetricDatum{MetricName: aws.String("M" + strconv.Itoa(i)), Value: aws.Float64(1)})
				}
				_, err := client.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{Namespace: aws.String("Signed"), MetricData: data})
				localcloudtest.WantCode(t, err, "")
				if got := wire.last(t); got.contentEncoding != "gzip" {
					t.Fatalf("Content-Encoding %q, want gzip", got.contentEncoding)
				}
			}
			if got := wire.last(t); got.replyProtocol != "rpc-v2-cbor" || got.replyType != "application/cbor" {
				t.Fatalf("reply headers %+v, want CBOR's", got)
			}
		})
	}
}
