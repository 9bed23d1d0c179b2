package ec2

import (
	"context"
	"slices"
)

type describeImagesInput struct {
	ImageIDs          []string      `query:"ImageId"`
	Owners            []string      `query:"Owner"`
	ExecutableUsers   []string      `query:"ExecutableBy"`
	Filters           []filterParam `query:"Filter"`
	IncludeDeprecated bool          `query:"IncludeDeprecated"`
	MaxResults        *int32        `query:"MaxResults"`
	NextToken         *string       `query:"NextToken"`
	DryRun            bool          `query:"DryRun"`
}

type imageBlockDeviceItem struct {
	DeviceName string `xml:"deviceName"`
	Ebs        struct {
		SnapshotID          string `xml:"snapshotId"`
		VolumeSize          int    `xml:"volumeSize"`
		DeleteOnTermination bool   `xml:"deleteOnTermination"`
		VolumeType          string `xml:"volumeType"`
		Encrypted           bool   `xml:"encrypted"`
	} `xml:"ebs"`
}

type imageItem struct {
	ImageID             string                 `xml:"imageId"`
	ImageLocation       string                 `xml:"imageLocation"`
	ImageState          string                 `xml:"imageState"`
	ImageOwnerID        string                 `xml:"imageOwnerId"`
	CreationDate        string                 `xml:"creationDate"`
	IsPublic            bool                   `xml:"isPublic"`
	Architecture        string                 `xml:"architecture"`
	ImageType           string                 `xml:"imageType"`
	ImageOwnerAlias     string                 `xml:"imageOwnerAlias"`
	Name                string                 `xml:"name"`
	Description         string                 `xml:"description"`
	RootDeviceType      string                 `xml:"rootDeviceType"`
	RootDeviceName      string                 `xml:"rootDeviceName"`
	BlockDeviceMappings []imageBlockDeviceItem `xml:"blockDeviceMapping>item"`
	VirtualizationType  string                 `xml:"virtualizationType"`
	Hypervisor          string                 `xml:"hypervisor"`
	EnaSupport          bool                   `xml:"enaSupport"`
	SriovNetSupport     string                 `xml:"sriovNetSupport"`
	PlatformDetails     string                 `xml:"platformDetails"`
	UsageOperation      string                 `xml:"usageOperation"`
	BootMode            string                 `xml:"bootMode"`
	ImdsSupport         string                 `xml:"imdsSupport"`
	DeprecationTime     string                 `xml:"deprecationTime"`
}

func imageWire(img Image) imageItem {
	item := imageItem{
		ImageID: img.ID, ImageLocation: img.OwnerAlias + "/" + img.Name, ImageState: "available", ImageOwnerID: img.OwnerID,
		CreationDate: img.CreationDate, IsPublic: true, Architecture: img.Architecture, ImageType: "machine",
		ImageOwnerAlias: img.OwnerAlias, Name: img.Name, Description: img.Description, RootDeviceType: "ebs",
		RootDeviceName: "/dev/xvda", VirtualizationType: "hvm", Hypervisor: "xen", EnaSupport: true, SriovNetSupport: "simple",
		PlatformDetails: "Linux/UNIX", UsageOperation: "RunInstances", BootMode: "uefi-preferred", ImdsSupport: "v2.0",
		DeprecationTime: "2028-11-01T00:00:00.000Z",
	}
	volume := imageBlockDeviceItem{DeviceName: "/dev/xvda"}
	volume.Ebs.SnapshotID = "snap-" + stableSuffix(img.ID)
	volume.Ebs.VolumeSize, volume.Ebs.DeleteOnTermination, volume.Ebs.VolumeType = 30, true, "gp3"
	item.BlockDeviceMappings = []imageBlockDeviceItem{volume}
	return item
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
func (b *Backend) handleDescribeImages(ctx context.Context, in *describeImagesInput) (*describeImagesOutput, error) {
	reg := region(ctx)
	images := []*Image{ptr(ECSOptimizedImage(reg))}
	for _, id := range in.ImageIDs {
		if !wellFormed(kindImage, id) {
			return nil, malformedID(kindImage, id)
		}
	}
	selected, err := selectByID(kindImage, images, func(img *Image) string { return img.ID }, in.ImageIDs)
	if err != nil {
		return nil, err
	}
	if len(in.Owners) > 0 {
		selected = slices.DeleteFunc(selected, func(img *Image) bool {
			return !slices.Contains(in.Owners, img.OwnerAlias) && !slices.Contains(in.Owners, img.OwnerID)
		})
	}
	selected, err = filterItems(selected, in.Filters, func(*Image) map[string]string { return nil },
		func(img *Image) fieldValues { return img.filterValues })
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(selected, func(img *Image) string { return img.ID }, in.MaxResults, in.NextToken, 5)
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		return nil, dryRunOperation()
	}
	out := &describeImagesOutput{Images: []imageItem{}, NextToken: next}
	for _, img := range page {
		out.Images = append(out.Images, imageWire(*img))
	}
	return out, nil
}

type describeImagesOutput struct {
	Images    []imageItem `xml:"imagesSet>item"`
	NextToken string      `xml:"nextToken,omitempty"`
}
