package ssm

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/service/ec2"
)

// ecsOptimizedAL2023 is the public parameter tree that names the
// recommended ECS-optimized Amazon Linux 2023 image.
const ecsOptimizedAL2023 = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended"

// publicParameters returns the public parameters of a region, by name. They
// are derived from the image EC2 publishes, so both services always agree.
func publicParameters(region string) map[string]*Parameter {
	image := ec2.ECSOptimizedImage(region)
	modified, err := time.Parse(time.RFC3339, image.CreationDate)
	if err != nil {
		modified = time.Unix(0, 0).UTC()
	}
	fields := map[string]any{
		"image_id":            image.ID,
		"image_name":          image.Name,
		"ecs_agent_version":   "1.99.0",
		"ecs_runtime_version": "Docker version 25.0.8",
		"os":                  "Amazon Linux 2023",
		"schema_version":      1,
		"source_image_name":   strings.Replace(image.Name, "al2023-ami-ecs-hvm", "al2023-ami-minimal", 1),
	}
	recommended, _ := json.Marshal(fields) // map keys marshal sorted, so the value is stable
	params := map[string]*Parameter{}
	add := func(name, value string) {
		params[name] = &Parameter{
			Name:   name,
			Public: true,
			Versions: []ParameterVersion{{
				Version: 1, Value: value, Type: "String", DataType: "text", Tier: "Standard", LastModifiedDate: modified,
			}},
		}
	}
	add(ecsOptimizedAL2023, string(recommended))
	for key, value := range fields {
		s, ok := value.(string)
		if !ok {
			b, _ := json.Marshal(value)
			s = string(b)
		}
		add(ecsOptimizedAL2023+"/"+key, s)
	}
	return params
}

func publicParameter(region, name string) (*Parameter, bool) {
	if !isReserved(name) {
		return nil, false
	}
	p, ok := publicParameters(region)[name]
	return p, ok
}

// isReserved reports whether a name lies in AWS's namespaces, which accounts
// cannot write.
func isReserved(name string) bool {
	lower := strings.ToLower(strings.TrimPrefix(name, "/"))
	return strings.HasPrefix(lower, "aws") || strings.HasPrefix(lower, "ssm")
}
