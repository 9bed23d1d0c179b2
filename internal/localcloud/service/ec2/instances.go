package ec2

import (
	"context"
	"encoding/base64"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// Instance states, with the codes EC2 pairs them with.
const (
	statePending      = "pending"
	stateRunning      = "running"
	stateShuttingDown = "shutting-down"
	stateTerminated   = "terminated"
	stateStopping     = "stopping"
	stateStopped      = "stopped"
)

var stateCodes = map[string]int{statePending: 0, stateRunning: 16, stateShuttingDown: 32, stateTerminated: 48, stateStopping: 64, stateStopped: 80}

// terminatedVisibility is how long a terminated instance stays in
// DescribeInstances (AWS: about an hour).
const terminatedVisibility = time.Hour

// Instance is a virtual machine. The local cloud's instances are records:
// they are running as soon as they exist, and the controllers act for them
// (registering with ECS from their user data).
type Instance struct {
	ID               string
	ReservationID    string
	OwnerID          string
	Region           string
	AmiLaunchIndex   int
	ImageID          string
	InstanceType     string
	KeyName          string
	State            string
	StateReason      string
	SubnetID         string
	VpcID            string
	AvailabilityZone string
	PrivateIP        string
	PublicIP         string
	MacAddress       string
	ENIID            string
	// UserData is the decoded text (the API carries it base64).
	UserData              string
	IamInstanceProfileARN string
	SecurityGroupIDs      []string
	Tags                  map[string]string
	LaunchTime            time.Time
	TerminatedAt          time.Time
	ClientToken           string
	LaunchTemplateID      string
	LaunchTemplateVersion int64
	Monitoring            bool
	EbsOptimized          bool
	MetadataOptions       MetadataOptions
	BlockDevices          []BlockDeviceMapping
}

// visible reports whether the instance still shows: terminated ones fade
// an hour after termination.
func (i *Instance) visible(now time.Time) bool {
	return i.State != stateTerminated || now.Sub(i.TerminatedAt) < terminatedVisibility
}

// Instance returns the instance with id, or nil when there is none (or it
// was terminated over an hour ago).
func (b *Backend) Instance(ctx context.Context, id string) (*Instance, error) {
	var inst *Instance
	err := b.store.View(ctx, func(tx *store.Tx) error {
		var err error
		inst, err = store.Get[Instance](tx, tableInstances, id)
		return err
	})
	if err != nil || inst == nil || !inst.visible(b.now()) {
		return nil, err
	}
	return inst, nil
}

// LaunchRequest launches instances from a launch template into a subnet.
type LaunchRequest struct {
	LaunchTemplateID, LaunchTemplateName, Version string
	SubnetID                                      string
	Count                                         int
	Tags                                          map[string]string
	// Data are direct parameters over the template's (an Auto Scaling
	// override's instance type), or all of them without a template (a
	// launch configuration).
	Data LaunchTemplateData
}

// LaunchInstances runs Count instances from a launch template, as
// RunInstances does; the tags may use the aws: prefix (Auto Scaling's
// aws:autoscaling:groupName).
func (b *Backend) LaunchInstances(ctx context.Context, req LaunchRequest) ([]*Instance, error) {
	if req.Count < 1 {
		req.Count = 1
	}
	spec := runSpec{
		Data:     req.Data,
		SubnetID: req.SubnetID, MinCount: req.Count, MaxCount: req.Count,
		InstanceTags: req.Tags,
	}
	if req.LaunchTemplateID != "" || req.LaunchTemplateName != "" {
		spec.LaunchTemplate = &launchTemplateSpec{ID: req.LaunchTemplateID, Name: req.LaunchTemplateName, Version: req.Version}
	}
	_, instances, err := b.runInstances(ctx, spec, false)
	return instances, err
}

// TerminateInstances terminates instances at once; unknown ids fail the
// call and change nothing.
func (b *Backend) TerminateInstances(ctx context.Context, ids []string) error {
	_, err := b.terminateInstances(ctx, ids, false)
	return err
}

type launchTemplateSpec struct{ ID, Name, Version string }

// runSpec is RunInstances' request: direct parameters override those of the
// launch template.
type runSpec struct {
	LaunchTemplate   *launchTemplateSpec
	Data             LaunchTemplateData // direct parameters
	SubnetID         string
	PrivateIPAddress string
	MinCount         int
	MaxCount         int
	TagSpecs         []tagSpecParam
	InstanceTags     map[string]string // from internal callers
	ClientToken      string
}

// reservation is what one RunInstances made.
type reservation struct {
	ID        string
	OwnerID   string
	GroupIDs  []string
	Instances []*Instance
}

// knownImage finds an image the local cloud publishes: the ECS-optimized
// image of the call's region or of any region (templates may be shared
// between regions' stacks by their ids).
func knownImage(callRegion, id string) (Image, bool) {
	if img := ECSOptimizedImage(callRegion); img.ID == id {
		return img, true
	}
	for _, r := range regions {
		if img := ECSOptimizedImage(r); img.ID == id {
			return img, true
		}
	}
	return Image{}, false
}

func (b *Backend) runInstances(ctx context.Context, spec runSpec, dryRun bool) (*reservation, []*Instance, error) {
	if spec.MinCount < 1 {
		return nil, nil, invalidParameterValue("Value (%d) for parameter minCount is invalid. Expected a positive integer.", spec.MinCount)
	}
	if spec.MaxCount < spec.MinCount {
		return nil, nil, invalidParameterValue("Value (%d) for parameter maxCount is invalid. Expected a value greater than or equal to minCount.", spec.MaxCount)
	}
	if err := spec.Data.validate(); err != nil {
		return nil, nil, err
	}
	var instanceTags map[string]string
	if spec.InstanceTags != nil {
		instanceTags = maps.Clone(spec.InstanceTags)
	} else {
		var err error
		if instanceTags, err = tagsFor(spec.TagSpecs, "instance", "volume", "network-interface", "spot-instances-request", "elastic-gpu"); err != nil {
			return nil, nil, err
		}
	}
	call := struct {
		owner, region string
		now           time.Time
	}{owner(ctx), region(ctx), b.now().UTC().Truncate(time.Second)}
	var res *reservation
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		if prior, err := b.replay(tx, "RunInstances", spec.ClientToken, spec); err != nil || prior != "" {
			if err == nil {
				res, err = loadReservation(tx, prior)
			}
			return err
		}
		data := spec.Data
		var template *LaunchTemplate
		var version *LaunchTemplateVersion
		if spec.LaunchTemplate != nil {
			var err error
			if template, err = findTemplate(tx, templateRef{ID: spec.LaunchTemplate.ID, Name: spec.LaunchTemplate.Name}); err != nil {
				return err
			}
			if version, err = resolveVersion(tx, template, spec.LaunchTemplate.Version); err != nil {
				return err
			}
			data = mergeLaunchTemplateData(version.Data, spec.Data)
			for _, ts := range version.Data.TagSpecifications {
				if ts.ResourceType != "instance" {
					continue
				}
				fromTemplate, err := validateTags(ts.Tags, false)
				if err != nil {
					return err
				}
				for k, v := range fromTemplate { // the request's tags win
					if _, set := instanceTags[k]; !set {
						instanceTags[k] = v
					}
				}
			}
		}
		if data.ImageID == "" {
			return missingParameter("ImageId")
		}
		if !strings.HasPrefix(data.ImageID, "ami-") {
			return errorf(codeInvalidAMIMalformed, "Invalid id: \"%s\" (expecting \"ami-...\")", data.ImageID)
		}
		if _, ok := knownImage(call.region, data.ImageID); !ok {
			return notFound(kindImage, data.ImageID)
		}
		if data.InstanceType == "" {
			data.InstanceType = "m1.small"
		}
		if _, ok := LookupInstanceType(data.InstanceType); !ok {
			return invalidParameterValue("Invalid value '%s' for InstanceType.", data.InstanceType)
		}
		var userData string
		if data.UserData != "" {
			decoded, err := base64.StdEncoding.DecodeString(data.UserData)
			if err != nil {
				return invalidParameterValue("Invalid BASE64 encoding of user data.")
			}
			if len(data.UserData) > 16*1024 {
				return invalidParameterValue("User data is limited to 16384 bytes")
			}
			userData = string(decoded)
		}

		// The subnet comes from the request, else from the primary network
		// interface (of the request, else of the template).
		subnetID, groupIDs := spec.SubnetID, data.SecurityGroupIDs
		privateIP := spec.PrivateIPAddress
		if i := slices.IndexFunc(data.NetworkInterfaces, func(n NetworkInterfaceSpec) bool { return n.DeviceIndex == nil || *n.DeviceIndex == 0 }); i >= 0 {
			primary := data.NetworkInterfaces[i]
			if subnetID == "" {
				subnetID = primary.SubnetID
			}
			if len(primary.Groups) > 0 {
				groupIDs = primary.Groups
			}
			if privateIP == "" {
				privateIP = primary.PrivateIPAddress
			}
		}
		var subnet *Subnet
		var err error
		if subnetID == "" {
			zone := ""
			if p := data.Placement; p != nil {
				zone = p.AvailabilityZone
			}
			if subnet, err = launchSubnet(tx, zone); err != nil {
				return err
			}
		} else if subnet, err = getResource[Subnet](tx, kindSubnet, subnetID); err != nil {
			return err
		}
		if p := data.Placement; p != nil && p.AvailabilityZone != "" && p.AvailabilityZone != subnet.AvailabilityZone {
			return invalidParameterValue("The specified availability zone %s does not match the subnet's zone %s", p.AvailabilityZone, subnet.AvailabilityZone)
		}
		groupIDs, err = resolveInstanceGroups(tx, subnet, groupIDs, data.SecurityGroups)
		if err != nil {
			return err
		}
		if err := checkKeyName(tx, data.KeyName); err != nil {
			return err
		}
		profileARN := ""
		if p := data.IamInstanceProfile; p != nil {
			profileARN = p.Arn
			if p.Name != "" {
				profileARN = "arn:aws:iam::" + call.owner + ":instance-profile/" + p.Name
			}
		}

		free, err := freeAddresses(tx, subnet)
		if err != nil {
			return err
		}
		count := spec.MaxCount
		if privateIP != "" {
			if spec.MaxCount > 1 {
				return invalidParameterCombination("Cannot specify a private IP address when launching more than one instance")
			}
			addr, perr := netip.ParseAddr(privateIP)
			if perr != nil || !netip.MustParsePrefix(subnet.CidrBlock).Contains(addr) {
				return invalidParameterValue("Address %s does not fall within the subnet's address range", privateIP)
			}
			if !slices.Contains(free, addr) {
				return errorf(codeInvalidIPAddressInUse, "Address %s is in use.", privateIP)
			}
			free = []netip.Addr{addr}
		}
		if len(free) < spec.MinCount {
			return errorf(codeInsufficientAddresses, "There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.", subnet.ID)
		}
		count = min(count, len(free))

		res = &reservation{ID: store.NewID("r-", 17), OwnerID: call.owner, GroupIDs: groupIDs}
		for n := range count {
			id := store.NewID("i-", 17)
			inst := &Instance{
				ID: id, ReservationID: res.ID, OwnerID: call.owner, Region: call.region, AmiLaunchIndex: n,
				ImageID: data.ImageID, InstanceType: data.InstanceType, KeyName: data.KeyName, State: stateRunning,
				SubnetID: subnet.ID, VpcID: subnet.VpcID, AvailabilityZone: subnet.AvailabilityZone, PrivateIP: free[n].String(),
				MacAddress: macAddress(), ENIID: store.NewID("eni-", 17),
				UserData: userData, IamInstanceProfileARN: profileARN, SecurityGroupIDs: groupIDs,
				Tags: maps.Clone(instanceTags), LaunchTime: call.now, ClientToken: spec.ClientToken,
				Monitoring:   data.Monitoring != nil && boolValue(data.Monitoring.Enabled),
				EbsOptimized: boolValue(data.EbsOptimized), BlockDevices: data.BlockDeviceMappings,
			}
			if data.MetadataOptions != nil {
				inst.MetadataOptions = *data.MetadataOptions
			}
			if subnet.MapPublicIPOnLaunch {
				inst.PublicIP = publicAddress(free[n])
			}
			if template != nil {
				inst.LaunchTemplateID, inst.LaunchTemplateVersion = template.ID, version.Number
				// EC2 tags what it launched from a template with the template.
				inst.Tags["aws:ec2launchtemplate:id"] = template.ID
				inst.Tags["aws:ec2launchtemplate:version"] = strconv.FormatInt(version.Number, 10)
			}
			if err := tx.Put(tableInstances, id, inst); err != nil {
				return err
			}
			res.Instances = append(res.Instances, inst)
		}
		return b.remember(tx, "RunInstances", spec.ClientToken, spec, res.ID)
	})
	if err != nil {
		return nil, nil, err
	}
	return res, res.Instances, nil
}

// launchSubnet is where an instance launched without a subnet goes: the
// default subnet of the zone asked for, else of the first zone.
func launchSubnet(tx *store.Tx, zone string) (*Subnet, error) {
	vpc, err := defaultVpc(tx)
	if err != nil {
		return nil, err
	}
	if vpc == nil {
		return nil, errorf(codeVPCIDNotSpecified, "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.")
	}
	subnet, err := defaultSubnet(tx, zone)
	if err != nil {
		return nil, err
	}
	if subnet == nil || subnet.VpcID != vpc.ID {
		return nil, errorf(codeMissingInput, "No subnets found for the default VPC '%s'. Please specify a subnet.", vpc.ID)
	}
	return subnet, nil
}

// resolveInstanceGroups checks that the groups (by id or name) exist in the
// subnet's VPC; none means the VPC's default group.
func resolveInstanceGroups(tx *store.Tx, subnet *Subnet, ids, names []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		g, err := getResource[SecurityGroup](tx, kindSecurityGroup, id)
		if err != nil {
			return nil, err
		}
		if g.VpcID != subnet.VpcID {
			return nil, errorf(codeInvalidParameter, "Security group %s and subnet %s belong to different networks.", g.ID, subnet.ID)
		}
		if !slices.Contains(out, g.ID) {
			out = append(out, g.ID)
		}
	}
	if len(names) > 0 {
		groups, err := store.List[SecurityGroup](tx, tableSecurityGroups)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			i := slices.IndexFunc(groups, func(g *SecurityGroup) bool { return g.VpcID == subnet.VpcID && g.Name == name })
			if i < 0 {
				return nil, errorf(kindSecurityGroup.notFoundCode, "The security group '%s' does not exist in VPC '%s'", name, subnet.VpcID)
			}
			if !slices.Contains(out, groups[i].ID) {
				out = append(out, groups[i].ID)
			}
		}
	}
	if len(out) == 0 {
		vpc, err := getResource[Vpc](tx, kindVpc, subnet.VpcID)
		if err != nil {
			return nil, err
		}
		out = []string{vpc.DefaultSecurityGroupID}
	}
	return out, nil
}

// freeAddresses lists the subnet's assignable addresses that no live
// instance holds, lowest first (AWS keeps the first four and the last).
func freeAddresses(tx *store.Tx, subnet *Subnet) ([]netip.Addr, error) {
	used, err := takenAddresses(tx, subnet.ID)
	if err != nil {
		return nil, err
	}
	prefix := netip.MustParsePrefix(subnet.CidrBlock)
	size := subnetSize(prefix)
	var free []netip.Addr
	addr := prefix.Addr()
	for i := range size - 1 {
		if i >= 4 && !used[addr.String()] {
			free = append(free, addr)
		}
		addr = addr.Next()
	}
	return free, nil
}

// macAddress makes a locally administered unicast MAC, like EC2's 0e:… and
// 02:… ones.
func macAddress() string {
	hex := store.RandomHex(10)
	parts := []string{"02"}
	for i := 0; i < 10; i += 2 {
		parts = append(parts, hex[i:i+2])
	}
	return strings.Join(parts, ":")
}

// publicAddress maps a private address to a stable address in a documentation
// range (TEST-NET-3), so nothing mistakes it for a routable one.
func publicAddress(private netip.Addr) string {
	b := private.As4()
	return netip.AddrFrom4([4]byte{203, 0, 113, b[3]}).String()
}

func loadReservation(tx *store.Tx, reservationID string) (*reservation, error) {
	instances, err := store.List[Instance](tx, tableInstances)
	if err != nil {
		return nil, err
	}
	res := &reservation{ID: reservationID}
	for _, inst := range instances {
		if inst.ReservationID == reservationID {
			res.OwnerID = inst.OwnerID
			res.GroupIDs = inst.SecurityGroupIDs
			res.Instances = append(res.Instances, inst)
		}
	}
	slices.SortFunc(res.Instances, func(a, b *Instance) int { return a.AmiLaunchIndex - b.AmiLaunchIndex })
	return res, nil
}

// stateChange is one instance's transition in a TerminateInstances reply.
type stateChange struct {
	ID       string
	Previous string
	Current  string
}

// terminateInstances terminates every listed instance or, when one is
// unknown, none.
func (b *Backend) terminateInstances(ctx context.Context, ids []string, dryRun bool) ([]stateChange, error) {
	if len(ids) == 0 {
		return nil, missingParameter("InstanceId")
	}
	now := b.now().UTC()
	var changes []stateChange
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		changes = nil
		targets, err := b.listedInstances(tx, ids)
		if err != nil {
			return err
		}
		for _, inst := range targets {
			change := stateChange{ID: inst.ID, Previous: inst.State, Current: stateTerminated}
			if inst.State != stateTerminated {
				// The instance lets go of its Elastic IPs and its other
				// interfaces (deleting those made to go with it).
				if err := dropInstanceAddresses(tx, b, inst.ID); err != nil {
					return err
				}
				if err := releaseInterfaces(tx, inst.ID); err != nil {
					return err
				}
				inst, err := getResource[Instance](tx, kindInstance, inst.ID)
				if err != nil {
					return err
				}
				inst.State = stateTerminated
				inst.TerminatedAt = now
				inst.StateReason = "Client.UserInitiatedShutdown"
				if err := tx.Put(tableInstances, inst.ID, inst); err != nil {
					return err
				}
			}
			changes = append(changes, change)
		}
		return nil
	})
	return changes, err
}

func (i *Instance) filterValues(name string) ([]string, bool) {
	one := func(v string) ([]string, bool) {
		if v == "" {
			return nil, true
		}
		return []string{v}, true
	}
	switch name {
	case "instance-id":
		return one(i.ID)
	case "reservation-id":
		return one(i.ReservationID)
	case "owner-id":
		return one(i.OwnerID)
	case "instance-state-name":
		return one(i.State)
	case "instance-state-code":
		return one(strconv.Itoa(stateCodes[i.State]))
	case "instance-type":
		return one(i.InstanceType)
	case "image-id":
		return one(i.ImageID)
	case "key-name":
		return one(i.KeyName)
	case "vpc-id":
		return one(i.VpcID)
	case "subnet-id":
		return one(i.SubnetID)
	case "availability-zone":
		return one(i.AvailabilityZone)
	case "private-ip-address", "network-interface.addresses.private-ip-address":
		return one(i.PrivateIP)
	case "ip-address":
		return one(i.PublicIP)
	case "private-dns-name":
		return one(privateDNSName(i.PrivateIP, i.Region))
	case "instance.group-id", "group-id", "network-interface.group-id":
		return i.SecurityGroupIDs, true
	case "iam-instance-profile.arn":
		return one(i.IamInstanceProfileARN)
	case "launch-index":
		return one(strconv.Itoa(i.AmiLaunchIndex))
	case "client-token":
		return one(i.ClientToken)
	case "architecture":
		return one("x86_64")
	case "root-device-type":
		return one("ebs")
	case "network-interface.network-interface-id":
		return one(i.ENIID)
	}
	return nil, false
}

// privateDNSName is EC2's IP-based hostname of an address.
func privateDNSName(ip, region string) string {
	if ip == "" {
		return ""
	}
	host := "ip-" + strings.ReplaceAll(ip, ".", "-")
	if region == "us-east-1" {
		return host + ".ec2.internal"
	}
	return host + "." + region + ".compute.internal"
}
