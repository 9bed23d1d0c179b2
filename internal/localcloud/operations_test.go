package localcloud_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// callResult is one line of testdata/every_operation.py's output.
type callResult struct {
	Service, Operation string
	Status             int
	Code               string
	ClientValidation   string `json:"client_validation"`
	Exception          string
}

// TestEveryOperationOfEveryServedModelGetsAnAWSAnswer calls every
// operation AWS's models list for the services the local cloud serves,
// through botocore (the AWS CLI's own serializers, in each service's
// protocol), each with the smallest request its model allows. Implemented
// or not, each must get an answer a client understands: never an unknown
// action, a server fault or a dropped connection.
func TestEveryOperationOfEveryServedModelGetsAnAWSAnswer(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 with botocore is needed (it comes with the AWS CLI): %v", err)
	}
	cloud := localcloudtest.Start(t)
	models := cloud.Models()
	if len(models) < 9 {
		t.Fatalf("the cloud serves the models %v; want at least the nine services it has", models)
	}
	cmd := exec.Command(python, append([]string{"testdata/every_operation.py", cloud.Endpoint}, models...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("every_operation.py: %v\n%s", err, stderr.String())
	}

	calls, implemented, perService := 0, 0, map[string]int{}
	scanner := bufio.NewScanner(bytes.NewReader(out))
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		var r callResult
		if err := json.Unmarshal(scanner.Bytes(), &r); err != nil {
			t.Fatalf("bad line %q: %v", scanner.Text(), err)
		}
		calls++
		perService[r.Service]++
		call := r.Service + " " + r.Operation
		switch {
		case r.Exception != "":
			t.Errorf("%s got no AWS answer: %s", call, r.Exception)
		case r.ClientValidation != "":
			t.Errorf("%s: the minimal request was refused by botocore itself: %s", call, r.ClientValidation)
		case r.Code == "InvalidAction" || strings.HasPrefix(r.Code, "UnknownOperation"):
			t.Errorf("%s is an AWS operation but was answered %s", call, r.Code)
		case r.Status >= 500 && r.Status != 501:
			t.Errorf("%s: server fault %d %s", call, r.Status, r.Code)
		case r.Code != "NotImplemented":
			implemented++
		}
	}
	for _, m := range models {
		if perService[m] == 0 {
			t.Errorf("no operation of %s was called", m)
		}
	}
	t.Logf("%d calls to %d services: %d answered by an implementation, %d NotImplemented", calls, len(models), implemented, calls-implemented)
}
