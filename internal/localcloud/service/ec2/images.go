package ec2

import (
	"crypto/sha256"
	"encoding/hex"
)

// Image is a machine image the local cloud knows without anyone registering
// it: the public images that AWS publishes and tools look up by SSM
// parameter or by name.
type Image struct {
	ID           string
	Name         string
	Description  string
	Architecture string
	OwnerAlias   string
	OwnerID      string
	CreationDate string
}

// ecsOptimizedAL2023Name is the image name behind the SSM parameter
// /aws/service/ecs/optimized-ami/amazon-linux-2023/recommended.
const ecsOptimizedAL2023Name = "al2023-ami-ecs-hvm-2023.0.20261101-kernel-6.1-x86_64"

// ECSOptimizedImage returns the Amazon ECS-optimized Amazon Linux 2023 image
// of a region. Its id is derived from the region so that it is stable across
// restarts and differs between regions, as real AMI ids do.
func ECSOptimizedImage(region string) Image {
	sum := sha256.Sum256([]byte(ecsOptimizedAL2023Name + "/" + region))
	return Image{
		ID:           "ami-0" + hex.EncodeToString(sum[:])[:16],
		Name:         ecsOptimizedAL2023Name,
		Description:  "Amazon Linux AMI 2023.0.20261101 x86_64 ECS HVM EBS",
		Architecture: "x86_64",
		OwnerAlias:   "amazon",
		OwnerID:      "591542846629",
		CreationDate: "2026-11-01T00:00:00.000Z",
	}
}
