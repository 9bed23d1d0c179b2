package ecs

import (
	"context"
	"encoding/json"
	"github.com/berthdev/berth/internal/localcloud/service/ecs/wire"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/service/ec2"
)

// instanceIdentityDocument is the part of EC2's instance identity document
// (what the agent reads from the instance metadata service) a registration
// uses.
type instanceIdentityDocument struct {
	InstanceID       string `json:"instanceId"`
	InstanceType     string `json:"instanceType"`
	AvailabilityZone string `json:"availabilityZone"`
	ImageID          string `json:"imageId"`
}

// registerContainerInstance is the ECS agent's call at boot. The identity
// document's signature is not checked: nothing local could have signed it.
// When the document names an EC2 instance, the container instance is that
// instance's; without one (an agent outside EC2) it has no EC2 instance id.
func (b *Backend) registerContainerInstance(ctx context.Context, in *wire.RegisterContainerInstanceRequest) (*wire.RegisterContainerInstanceResponse, error) {
	var doc instanceIdentityDocument
	if strings.TrimSpace(in.InstanceIdentityDocument) != "" {
		if err := json.Unmarshal([]byte(in.InstanceIdentityDocument), &doc); err != nil {
			return nil, errInvalidParameter("The instance identity document is not valid.")
		}
	}
	req := RegisterInstanceInput{
		Cluster:              in.Cluster,
		EC2InstanceID:        doc.InstanceID,
		InstanceType:         doc.InstanceType,
		AvailabilityZone:     doc.AvailabilityZone,
		ImageID:              doc.ImageID,
		Attributes:           map[string]string{},
		Resources:            listOf(in.TotalResources, resourceIn),
		VersionInfo:          in.VersionInfo,
		ContainerInstanceARN: in.ContainerInstanceArn,
		Tags:                 in.Tags,
		ViaAPI:               true,
	}
	if it, ok := ec2.LookupInstanceType(doc.InstanceType); ok {
		req.CPU, req.MemoryMiB = it.VCPUs*1024, it.MemoryMiB*95/100
	}
	for _, wa := range in.Attributes {
		a := attributeIn(wa)
		if strings.HasPrefix(a.Name, internalAttributePrefix) {
			return nil, errInvalidParameter("Attribute name %s uses a reserved prefix.", a.Name)
		}
		if err := validateAttribute(a); err != nil {
			return nil, err
		}
		req.Attributes[a.Name] = ptrValue(a.Value)
	}
	for _, r := range in.TotalResources {
		if r.Name == "" || r.Type == "" {
			return nil, errInvalidParameter("Resources must have a name and a type.")
		}
	}
	ci, err := b.RegisterContainerInstance(ctx, req)
	if err != nil {
		return nil, err
	}
	return &wire.RegisterContainerInstanceResponse{ContainerInstance: containerInstanceOut(ci)}, nil
}
