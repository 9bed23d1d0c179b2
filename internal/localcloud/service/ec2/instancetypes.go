package ec2

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol/ec2query"
	"github.com/berthdev/berth/internal/localcloud/service/ec2/wire"
)

// InstanceType is what placement and the ECS agent need of a type: its
// size and how many network interfaces (so awsvpc tasks) and addresses it
// takes.
type InstanceType struct {
	Name       string
	VCPUs      int
	MemoryMiB  int
	MaxENIs    int
	IPv4PerENI int

	NetworkPerformance string
	Burstable          bool
	FreeTier           bool
	Hypervisor         string
	Architectures      []string
}

// instanceTypes are the types the local cloud launches: AWS's published
// ENI and address limits, without ENI trunking.
var instanceTypes = []InstanceType{
	{Name: "m1.small", VCPUs: 1, MemoryMiB: 1740, MaxENIs: 2, IPv4PerENI: 4, NetworkPerformance: "Low", Hypervisor: "xen", Architectures: []string{"i386", "x86_64"}},
	{Name: "t2.nano", VCPUs: 1, MemoryMiB: 512, MaxENIs: 2, IPv4PerENI: 2, NetworkPerformance: "Low to Moderate", Burstable: true, Hypervisor: "xen"},
	{Name: "t2.micro", VCPUs: 1, MemoryMiB: 1024, MaxENIs: 2, IPv4PerENI: 2, NetworkPerformance: "Low to Moderate", Burstable: true, FreeTier: true, Hypervisor: "xen"},
	{Name: "t2.small", VCPUs: 1, MemoryMiB: 2048, MaxENIs: 3, IPv4PerENI: 4, NetworkPerformance: "Low to Moderate", Burstable: true, Hypervisor: "xen"},
	{Name: "t2.medium", VCPUs: 2, MemoryMiB: 4096, MaxENIs: 3, IPv4PerENI: 6, NetworkPerformance: "Low to Moderate", Burstable: true, Hypervisor: "xen"},
	{Name: "t2.large", VCPUs: 2, MemoryMiB: 8192, MaxENIs: 3, IPv4PerENI: 12, NetworkPerformance: "Low to Moderate", Burstable: true, Hypervisor: "xen"},
	{Name: "t3.nano", VCPUs: 2, MemoryMiB: 512, MaxENIs: 2, IPv4PerENI: 2, NetworkPerformance: "Up to 5 Gigabit", Burstable: true},
	{Name: "t3.micro", VCPUs: 2, MemoryMiB: 1024, MaxENIs: 2, IPv4PerENI: 2, NetworkPerformance: "Up to 5 Gigabit", Burstable: true, FreeTier: true},
	{Name: "t3.small", VCPUs: 2, MemoryMiB: 2048, MaxENIs: 3, IPv4PerENI: 4, NetworkPerformance: "Up to 5 Gigabit", Burstable: true},
	{Name: "t3.medium", VCPUs: 2, MemoryMiB: 4096, MaxENIs: 3, IPv4PerENI: 6, NetworkPerformance: "Up to 5 Gigabit", Burstable: true},
	{Name: "t3.large", VCPUs: 2, MemoryMiB: 8192, MaxENIs: 3, IPv4PerENI: 12, NetworkPerformance: "Up to 5 Gigabit", Burstable: true},
	{Name: "t3.xlarge", VCPUs: 4, MemoryMiB: 16384, MaxENIs: 4, IPv4PerENI: 15, NetworkPerformance: "Up to 5 Gigabit", Burstable: true},
	{Name: "t3.2xlarge", VCPUs: 8, MemoryMiB: 32768, MaxENIs: 4, IPv4PerENI: 15, NetworkPerformance: "Up to 5 Gigabit", Burstable: true},
	{Name: "t3a.micro", VCPUs: 2, MemoryMiB: 1024, MaxENIs: 2, IPv4PerENI: 2, NetworkPerformance: "Up to 5 Gigabit", Burstable: true},
	{Name: "t3a.small", VCPUs: 2, MemoryMiB: 2048, MaxENIs: 2, IPv4PerENI: 4, NetworkPerformance: "Up to 5 Gigabit", Burstable: true},
	{Name: "t3a.medium", VCPUs: 2, MemoryMiB: 4096, MaxENIs: 3, IPv4PerENI: 6, NetworkPerformance: "Up to 5 Gigabit", Burstable: true},
	{Name: "t3a.large", VCPUs: 2, MemoryMiB: 8192, MaxENIs: 3, IPv4PerENI: 12, NetworkPerformance: "Up to 5 Gigabit", Burstable: true},
	{Name: "t3a.xlarge", VCPUs: 4, MemoryMiB: 16384, MaxENIs: 4, IPv4PerENI: 15, NetworkPerformance: "Up to 5 Gigabit", Burstable: true},
	{Name: "m5.large", VCPUs: 2, MemoryMiB: 8192, MaxENIs: 3, IPv4PerENI: 10, NetworkPerformance: "Up to 10 Gigabit"},
	{Name: "m5.xlarge", VCPUs: 4, MemoryMiB: 16384, MaxENIs: 4, IPv4PerENI: 15, NetworkPerformance: "Up to 10 Gigabit"},
	{Name: "m5.2xlarge", VCPUs: 8, MemoryMiB: 32768, MaxENIs: 4, IPv4PerENI: 15, NetworkPerformance: "Up to 10 Gigabit"},
	{Name: "m6i.large", VCPUs: 2, MemoryMiB: 8192, MaxENIs: 3, IPv4PerENI: 10, NetworkPerformance: "Up to 12.5 Gigabit"},
	{Name: "m6i.xlarge", VCPUs: 4, MemoryMiB: 16384, MaxENIs: 4, IPv4PerENI: 15, NetworkPerformance: "Up to 12.5 Gigabit"},
	{Name: "c5.large", VCPUs: 2, MemoryMiB: 4096, MaxENIs: 3, IPv4PerENI: 10, NetworkPerformance: "Up to 10 Gigabit"},
	{Name: "c5.xlarge", VCPUs: 4, MemoryMiB: 8192, MaxENIs: 4, IPv4PerENI: 15, NetworkPerformance: "Up to 10 Gigabit"},
	{Name: "c5.2xlarge", VCPUs: 8, MemoryMiB: 16384, MaxENIs: 4, IPv4PerENI: 15, NetworkPerformance: "Up to 10 Gigabit"},
}

// LookupInstanceType returns the named type.
func LookupInstanceType(name string) (InstanceType, bool) {
	i := slices.IndexFunc(instanceTypes, func(t InstanceType) bool { return t.Name == name })
	if i < 0 {
		return InstanceType{}, false
	}
	t := instanceTypes[i]
	if t.Hypervisor == "" {
		t.Hypervisor = "nitro"
	}
	if t.Architectures == nil {
		t.Architectures = []string{"x86_64"}
	}
	return t, true
}

func (t InstanceType) filterValues(name string) ([]string, bool) {
	switch name {
	case "instance-type":
		return []string{t.Name}, true
	case "vcpu-info.default-vcpus":
		return []string{strconv.Itoa(t.VCPUs)}, true
	case "memory-info.size-in-mib":
		return []string{strconv.Itoa(t.MemoryMiB)}, true
	case "network-info.maximum-network-interfaces":
		return []string{strconv.Itoa(t.MaxENIs)}, true
	case "network-info.ipv4-addresses-per-interface":
		return []string{strconv.Itoa(t.IPv4PerENI)}, true
	case "burstable-performance-supported":
		return []string{strconv.FormatBool(t.Burstable)}, true
	case "free-tier-eligible":
		return []string{strconv.FormatBool(t.FreeTier)}, true
	case "current-generation":
		return []string{strconv.FormatBool(!strings.HasPrefix(t.Name, "m1."))}, true
	case "hypervisor":
		return []string{t.Hypervisor}, true
	case "processor-info.supported-architecture":
		return t.Architectures, true
	case "network-info.network-performance":
		return []string{t.NetworkPerformance}, true
	}
	return nil, false
}

// instanceTypeWire answers a type as DescribeInstanceTypes lists it; it
// writes the booleans it knows false as false rather than leaving them out.
func instanceTypeWire(t InstanceType) wire.InstanceTypeInfo {
	nitro := t.Hypervisor == "nitro"
	ebs := &wire.EbsInfo{EbsOptimizedSupport: "default", EncryptionSupport: "supported", NvmeSupport: "unsupported"}
	network := &wire.NetworkInfo{NetworkPerformance: t.NetworkPerformance, MaximumNetworkInterfaces: ptr(t.MaxENIs),
		MaximumNetworkCards: ptr(1), DefaultNetworkCardIndex: ptr(0), Ipv4AddressesPerInterface: ptr(t.IPv4PerENI),
		Ipv6AddressesPerInterface: ptr(t.IPv4PerENI), Ipv6Supported: ptr(true), EnaSupport: "unsupported",
		EfaSupported: ptr(false), EncryptionInTransitSupported: ptr(false)}
	item := wire.InstanceTypeInfo{
		InstanceType: t.Name, CurrentGeneration: ptr(!strings.HasPrefix(t.Name, "m1.")), FreeTierEligible: ptr(t.FreeTier),
		SupportedUsageClasses: ec2query.List[string]{"on-demand", "spot"}, SupportedRootDeviceTypes: ec2query.List[string]{"ebs"},
		SupportedVirtualizationTypes: ec2query.List[string]{"hvm"}, BareMetal: ptr(false), Hypervisor: t.Hypervisor,
		ProcessorInfo: &wire.ProcessorInfo{SupportedArchitectures: ec2query.List[string](t.Architectures)},
		VCpuInfo:      &wire.VCpuInfo{DefaultVCpus: ptr(t.VCPUs)}, MemoryInfo: &wire.MemoryInfo{SizeInMiB: ptr(t.MemoryMiB)},
		InstanceStorageSupported: ptr(false), EbsInfo: ebs, NetworkInfo: network,
		PlacementGroupInfo:   &wire.PlacementGroupInfo{SupportedStrategies: ec2query.List[string]{"partition", "spread"}},
		HibernationSupported: ptr(false), BurstablePerformanceSupported: ptr(t.Burstable), DedicatedHostsSupported: ptr(false),
		AutoRecoverySupported: ptr(true), SupportedBootModes: ec2query.List[string]{"legacy-bios"},
	}
	if nitro {
		ebs.NvmeSupport, network.EnaSupport = "required", "required"
		item.SupportedBootModes = ec2query.List[string]{"legacy-bios", "uefi"}
	}
	if !t.Burstable {
		item.PlacementGroupInfo.SupportedStrategies = ec2query.List[string]{"cluster", "partition", "spread"}
		item.DedicatedHostsSupported = ptr(nitro)
	}
	if t.Burstable && strings.HasPrefix(t.Name, "t2.") {
		ebs.EbsOptimizedSupport = "unsupported"
	}
	return item
}

func (b *Backend) handleDescribeInstanceTypes(_ context.Context, in *wire.DescribeInstanceTypesRequest) (*wire.DescribeInstanceTypesResult, error) {
	var selected []*InstanceType
	for _, name := range in.InstanceTypes {
		if _, ok := LookupInstanceType(name); !ok {
			return nil, errorf(codeInvalidInstanceType, "The following supplied instance types do not exist: [%s]", name)
		}
	}
	filters := filtersFrom(in.Filters)
	for _, entry := range instanceTypes {
		t, _ := LookupInstanceType(entry.Name)
		if len(in.InstanceTypes) > 0 && !slices.Contains(in.InstanceTypes, t.Name) {
			continue
		}
		ok, err := matchFilters(filters, nil, t.filterValues)
		if err != nil {
			return nil, err
		}
		if ok {
			selected = append(selected, &t)
		}
	}
	page, next, err := paginate(selected, func(t *InstanceType) string { return t.Name }, maxResultsOf(in.MaxResults), tokenOf(in.NextToken), 5)
	if err != nil {
		return nil, err
	}
	if boolValue(in.DryRun) {
		return nil, dryRunOperation()
	}
	out := &wire.DescribeInstanceTypesResult{InstanceTypes: ec2query.List[wire.InstanceTypeInfo]{}, NextToken: next}
	for _, t := range page {
		out.InstanceTypes = append(out.InstanceTypes, instanceTypeWire(*t))
	}
	return out, nil
}
