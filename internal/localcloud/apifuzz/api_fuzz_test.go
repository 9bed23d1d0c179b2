package apifuzz_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/localcloud"
)

// FuzzAPI sends arbitrary requests, in every protocol the endpoint
// speaks, through the whole control plane (guard, router, model
// validation, codec, handler, store): a bad request must get a client
// error, never a server fault, a panic or no answer.
func FuzzAPI(f *testing.F) {
	cloud, err := localcloud.New(localcloud.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = cloud.Close() })
	seeds := []struct{ target, body string }{
		{"AmazonEC2ContainerServiceV20141113.CreateCluster", `{"clusterName":"web"}`},
		{"AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition", `{"family":"web","containerDefinitions":[{"name":"app","image":"x","portMappings":[{"containerPort":80}]}]}`},
		{"AmazonEC2ContainerServiceV20141113.CreateService", `{"serviceName":"web","desiredCount":-1,"loadBalancers":[{}]}`},
		{"AmazonSSM.PutParameter", `{"Name":"/a","Value":"b","Type":"String","Tags":[{"Key":"k","Value":"v"}]}`},
		{"Logs_20140328.PutLogEvents", `{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":1,"message":"m"}]}`},
		{"", "Action=CreateVpc&Version=2016-11-15&CidrBlock=10.0.0.0/16"},
		{"", "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId=sg-1&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=99999"},
		{"", "Action=CreateTargetGroup&Version=2015-12-01&Name=web&Port=80&Protocol=HTTP&Matcher.HttpCode=200-299"},
		{"", "Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%7D"},
		{"", "Action=CreateAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=g&MinSize=1&MaxSize=0"},
		{"", "Action=GetCallerIdentity&Version=2011-06-15"},
	}
	for _, s := range seeds {
		f.Add(s.target, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, target string, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:4566/", bytes.NewReader(body))
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		rec := httptest.NewRecorder()
		cloud.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusNotImplemented {
			t.Fatalf("target %q body %q: %d %s", target, body, rec.Code, strings.TrimSpace(rec.Body.String()))
		}
	})
}
