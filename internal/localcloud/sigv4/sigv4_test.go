package sigv4

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The worked example of AWS's SigV4 documentation (IAM ListUsers, signed
// with the documentation's example key), verified independently of any SDK.
func TestDocumentationExample(t *testing.T) {
	const (
		keyID  = "AKIDEXAMPLE"
		secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
		sig    = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
	)
	request := func(signature string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08", nil)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		r.Header.Set("X-Amz-Date", "20150830T123600Z")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+keyID+"/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="+signature)
		return r
	}
	v := New(map[string]string{keyID: secret})
	v.now = func() time.Time { return time.Date(2015, 8, 30, 12, 40, 0, 0, time.UTC) }
	id, err := v.Verify(request(sig), nil)
	if err != nil {
		t.Fatalf("the documentation's own signature does not verify: %v", err)
	}
	if id.AccessKeyID != keyID || id.Region != "us-east-1" || id.Service != "iam" {
		t.Errorf("identity = %+v", id)
	}

	tests := []struct {
		name   string
		mutate func(r *http.Request)
		keys   map[string]string
		now    time.Time
		want   Kind
	}{
		{"other secret", nil, map[string]string{keyID: "not-the-secret"}, time.Time{}, Mismatch},
		{"unknown key", nil, map[string]string{"AKIDOTHER": secret}, time.Time{}, UnknownKey},
		{"changed query", func(r *http.Request) { r.URL.RawQuery = "Action=DeleteUser&Version=2010-05-08" }, nil, time.Time{}, Mismatch},
		{"changed signed header", func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, nil, time.Time{}, Mismatch},
		{"other host", func(r *http.Request) { r.Host = "evil.example" }, nil, time.Time{}, Mismatch},
		{"16 minutes late", nil, nil, time.Date(2015, 8, 30, 12, 52, 1, 0, time.UTC), Expired},
		{"16 minutes early", nil, nil, time.Date(2015, 8, 30, 12, 20, 0, 0, time.UTC), Expired},
		{"no signature", func(r *http.Request) { r.Header.Del("Authorization") }, nil, time.Time{}, Missing},
		{"no date", func(r *http.Request) { r.Header.Del("X-Amz-Date") }, nil, time.Time{}, Incomplete},
		{"host not signed", func(r *http.Request) {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+keyID+"/20150830/us-east-1/iam/aws4_request, SignedHeaders=x-amz-date, Signature="+sig)
		}, nil, time.Time{}, Incomplete},
		{"bearer token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc") }, nil, time.Time{}, Incomplete},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(sig)
			if tt.mutate != nil {
				tt.mutate(r)
			}
			keys := tt.keys
			if keys == nil {
				keys = map[string]string{keyID: secret}
			}
			v := New(keys)
			v.now = func() time.Time { return time.Date(2015, 8, 30, 12, 40, 0, 0, time.UTC) }
			if !tt.now.IsZero() {
				v.now = func() time.Time { return tt.now }
			}
			_, err := v.Verify(r, nil)
			serr, ok := err.(*Error)
			if !ok || serr.Kind != tt.want {
				t.Errorf("Verify = %v, want kind %d", err, tt.want)
			}
		})
	}
}

func TestURIEncode(t *testing.T) {
	for in, want := range map[string]string{
		"a b+c":      "a%20b%2Bc",
		"~-_.AZaz09": "~-_.AZaz09",
		"é/x":        "%C3%A9%2Fx",
		"*":          "%2A",
	} {
		if got := uriEncode(in, false); got != want {
			t.Errorf("uriEncode(%q) = %q, want %q", in, got, want)
		}
	}
	if got := uriEncode("/a%20b/", true); got != "/a%2520b/" {
		t.Errorf("path encoding = %q, want the double encoding non-S3 services sign", got)
	}
}
