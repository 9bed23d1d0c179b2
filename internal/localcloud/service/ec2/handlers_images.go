package ec2

import (
	"context"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/protocol/ec2query"
	"github.com/berthdev/berth/internal/localcloud/service/ec2/wire"
)

// imageWire answers an image as DescribeImages lists it.
func imageWire(img Image) wire.Image {
	return wire.Image{
		ImageId: img.ID, ImageLocation: img.OwnerAlias + "/" + img.Name, State: "available", OwnerId: img.OwnerID,
		CreationDate: img.CreationDate, Public: ptr(true), Architecture: img.Architecture, ImageType: "machine",
		ImageOwnerAlias: img.OwnerAlias, Name: img.Name, Description: img.Description, RootDeviceType: "ebs",
		RootDeviceName: "/dev/xvda", VirtualizationType: "hvm", Hypervisor: "xen", EnaSupport: ptr(true), SriovNetSupport: "simple",
		PlatformDetails: "Linux/UNIX", UsageOperation: "RunInstances", BootMode: "uefi-preferred", ImdsSupport: "v2.0",
		DeprecationTime: "2028-11-01T00:00:00.000Z",
		BlockDeviceMappings: ec2query.List[wire.BlockDeviceMapping]{{DeviceName: "/dev/xvda", Ebs: &wire.EbsBlockDevice{
			SnapshotId: "snap-" + stableSuffix(img.ID), VolumeSize: ptr(30), DeleteOnTermination: ptr(true), VolumeType: "gp3",
			Encrypted: ptr(false)}}},
	}
}

func (img *Image) filterValues(name string) ([]string, bool) {
	switch name {
	case "image-id":
		return []string{img.ID}, true
	case "name":
		return []string{img.Name}, true
	case "description":
		return []string{img.Description}, true
	case "architecture":
		return []string{img.Architecture}, true
	case "owner-alias":
		return []string{img.OwnerAlias}, true
	case "owner-id":
		return []string{img.OwnerID}, true
	case "state":
		return []string{"available"}, true
	case "is-public":
		return []string{"true"}, true
	case "image-type":
		return []string{"machine"}, true
	case "root-device-type":
		return []string{"ebs"}, true
	case "virtualization-type":
		return []string{"hvm"}, true
	case "hypervisor":
		return []string{"xen"}, true
	case "platform-details":
		return []string{"Linux/UNIX"}, true
	case "ena-support":
		return []string{"true"}, true
	}
	return nil, false
}

// handleDescribeImages lists the images the local cloud publishes in the
// call's region: the ECS-optimized image.
func (b *Backend) handleDescribeImages(ctx context.Context, in *wire.DescribeImagesRequest) (*wire.DescribeImagesResult, error) {
	reg := region(ctx)
	images := []*Image{ptr(ECSOptimizedImage(reg))}
	for _, id := range in.ImageIds {
		if !wellFormed(kindImage, id) {
			return nil, malformedID(kindImage, id)
		}
	}
	selected, err := selectByID(kindImage, images, func(img *Image) string { return img.ID }, in.ImageIds)
	if err != nil {
		return nil, err
	}
	if len(in.Owners) > 0 {
		selected = slices.DeleteFunc(selected, func(img *Image) bool {
			return !slices.Contains(in.Owners, img.OwnerAlias) && !slices.Contains(in.Owners, img.OwnerID)
		})
	}
	selected, err = filterItems(selected, filtersFrom(in.Filters), func(*Image) map[string]string { return nil },
		func(img *Image) fieldValues { return img.filterValues })
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(selected, func(img *Image) string { return img.ID }, maxResultsOf(in.MaxResults), tokenOf(in.NextToken), 5)
	if err != nil {
		return nil, err
	}
	if boolValue(in.DryRun) {
		return nil, dryRunOperation()
	}
	out := &wire.DescribeImagesResult{Images: ec2query.List[wire.Image]{}, NextToken: next}
	for _, img := range page {
		out.Images = append(out.Images, imageWire(*img))
	}
	return out, nil
}
