package spec

import (
	"path/filepath"
	"reflect"
	"testing"
)

// The reference example is what new users copy, so it must stay valid and
// keep describing the write-up's stack.
func TestExampleFastAPISpec(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "fastapi", "berth.yaml")
	s, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	exampleDir, err := filepath.Abs(filepath.Join("..", "..", "examples", "fastapi"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Spec{
		File: path,
		Name: "fastapi",
		Service: Service{
			Image:       "fastapi-dev:latest",
			Port:        9000,
			Count:       2,
			CPU:         256,
			Memory:      512,
			Environment: map[string]string{"LOG_LEVEL": "info"},
			Placement:   PlacementDistinctInstance,
			HealthCheck: HealthCheck{
				Path: "/health", Interval: 10, Timeout: 5,
				HealthyThreshold: 2, UnhealthyThreshold: 2, Matcher: "200", GracePeriod: 30,
			},
			Deployment:          Deployment{CircuitBreaker: true, Rollback: true, MinimumHealthyPercent: 50, MaximumPercent: 200, StopTimeout: 10},
			DeregistrationDelay: 5,
			Protocol:            ProtocolHTTP,
			Autoscaling: &Autoscaling{
				Min: 2, Max: 4, CPU: 60, Memory: 75, RequestsPerTarget: 500, ScaleInCooldown: 120, ScaleOutCooldown: 30,
			},
		},
		Capacity:     Capacity{Provider: ProviderEC2, InstanceType: "t2.medium", Min: 1, Max: 4, TargetCapacity: 100, ManagedTerminationProtection: true},
		Network:      Network{Mode: NetworkNew, CIDR: "10.0.0.0/16", NAT: NATSingle},
		Tags:         map[string]string{"project": "fastapi-demo"},
		LoadBalancer: LoadBalancer{Public: true, Port: 80},
		Logs:         Logs{RetentionDays: 7},
		Local: &Local{
			Command: []string{"/usr/bin/python3", "-m", "uvicorn", "main:app", "--host", "$HOST", "--port", "9000"},
			Dir:     exampleDir,
			Env:     map[string]string{"PYTHONUNBUFFERED": "1"},
		},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("example spec\n got %+v\nwant %+v\nlocal got %+v\n     want %+v\nautoscaling got %+v\n     want %+v", s, want, s.Local, want.Local, s.Service.Autoscaling, want.Service.Autoscaling)
	}
}
