package ec2

import (
	"context"
	"slices"
	"strconv"
	"strings"
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

type describeInstanceTypesInput struct {
	InstanceTypes []string      `query:"InstanceType"`
	Filters       []filterParam `query:"Filter"`
	MaxResults    *int32        `query:"MaxResults"`
	NextToken     *string       `query:"NextToken"`
	DryRun        bool          `query:"DryRun"`
}

type instanceTypeItem struct {
	InstanceType                  string   `xml:"instanceType"`
	CurrentGeneration             bool     `xml:"currentGeneration"`
	FreeTierEligible              bool     `xml:"freeTierEligible"`
	SupportedUsageClasses         []string `xml:"supportedUsageClasses>item"`
	SupportedRootDeviceTypes      []string `xml:"supportedRootDeviceTypes>item"`
	SupportedVirtualizationTypes  []string `xml:"supportedVirtualizationTypes>item"`
	BareMetal                     bool     `xml:"bareMetal"`
	Hypervisor                    string   `xml:"hypervisor"`
	SupportedArchitectures        []string `xml:"processorInfo>supportedArchitectures>item"`
	DefaultVCpus                  int      `xml:"vCpuInfo>defaultVCpus"`
	MemorySizeInMiB               int      `xml:"memoryInfo>sizeInMiB"`
	InstanceStorageSupported      bool     `xml:"instanceStorageSupported"`
	EbsOptimizedSupport           string   `xml:"ebsInfo>ebsOptimizedSupport"`
	EncryptionSupport             string   `xml:"ebsInfo>encryptionSupport"`
	NvmeSupport                   string   `xml:"ebsInfo>nvmeSupport"`
	NetworkPerformance            string   `xml:"networkInfo>networkPerformance"`
	MaximumNetworkInterfaces      int      `xml:"networkInfo>maximumNetworkInterfaces"`
	MaximumNetworkCards           int      `xml:"networkInfo>maximumNetworkCards"`
	DefaultNetworkCardIndex       int      `xml:"networkInfo>defaultNetworkCardIndex"`
	Ipv4AddressesPerInterface     int      `xml:"networkInfo>ipv4AddressesPerInterface"`
	Ipv6AddressesPerInterface     int      `xml:"networkInfo>ipv6AddressesPerInterface"`
	Ipv6Supported                 bool     `xml:"networkInfo>ipv6Supported"`
	EnaSupport                    string   `xml:"networkInfo>enaSupport"`
	EfaSupported                  bool     `xml:"networkInfo>efaSupported"`
	EncryptionInTransitSupported  bool     `xml:"networkInfo>encryptionInTransitSupported"`
	PlacementStrategies           []string `xml:"placementGroupInfo>supportedStrategies>item"`
	HibernationSupported          bool     `xml:"hibernationSupported"`
	BurstablePerformanceSupported bool     `xml:"burstablePerformanceSupported"`
	DedicatedHostsSupported       bool     `xml:"dedicatedHostsSupported"`
	AutoRecoverySupported         bool     `xml:"autoRecoverySupported"`
	SupportedBootModes            []string `xml:"supportedBootModes>item"`
}

type describeInstanceTypesOutput struct {
	InstanceTypes []instanceTypeItem `xml:"instanceTypeSet>item"`
	NextToken     string             `xml:"nextToken,omitempty"`
}

func instanceTypeWire(t InstanceType) instanceTypeItem {
	nitro := t.Hypervisor == "nitro"
	item := instanceTypeItem{
		InstanceType: t.Name, CurrentGeneration: !strings.HasPrefix(t.Name, "m1."), FreeTierEligible: t.FreeTier,
		SupportedUsageClasses: []string{"on-demand", "spot"}, SupportedRootDeviceTypes: []string{"ebs"},
		SupportedVirtualizationTypes: []string{"hvm"}, Hypervisor: t.Hypervisor, SupportedArchitectures: t.Architectures,
		DefaultVCpus: t.VCPUs, MemorySizeInMiB: t.MemoryMiB, EbsOptimizedSupport: "default", EncryptionSupport: "supported",
		NvmeSupport: "unsupported", NetworkPerformance: t.NetworkPerformance, MaximumNetworkInterfaces: t.MaxENIs,
		MaximumNetworkCards: 1, Ipv4AddressesPerInterface: t.IPv4PerENI, Ipv6AddressesPerInterface: t.IPv4PerENI,
		Ipv6Supported: true, EnaSupport: "unsupported", PlacementStrategies: []string{"partition", "spread"},
		BurstablePerformanceSupported: t.Burstable, AutoRecoverySupported: true, SupportedBootModes: []string{"legacy-bios"},
	}
	if nitro {
		item.NvmeSupport, item.EnaSupport = "required", "required"
		item.SupportedBootModes = []string{"legacy-bios", "uefi"}
	}
	if !t.Burstable {
		item.PlacementStrategies = []string{"cluster", "partition", "spread"}
		item.DedicatedHostsSupported = nitro
	}
	if t.Burstable && strings.HasPrefix(t.Name, "t2.") {
		item.EbsOptimizedSupport = "unsupported"
	}
	return item
}

func (b *Backend) handleDescribeInstanceTypes(_ context.Context, in *describeInstanceTypesInput) (*describeInstanceTypesOutput, error) {
	var selected []*InstanceType
	for _, name := range in.InstanceTypes {
		if _, ok := LookupInstanceType(name); !ok {
			return nil, errorf(codeInvalidInstanceType, "The following supplied instance types do not exist: [%s]", name)
		}
	}
	for _, entry := range instanceTypes {
		t, _ := LookupInstanceType(entry.Name)
		if len(in.InstanceTypes) > 0 && !slices.Contains(in.InstanceTypes, t.Name) {
			continue
		}
		ok, err := matchFilters(in.Filters, nil, t.filterValues)
		if err != nil {
			return nil, err
		}
		if ok {
			selected = append(selected, &t)
		}
	}
	page, next, err := paginate(selected, func(t *InstanceType) string { return t.Name }, in.MaxResults, in.NextToken, 5)
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		return nil, dryRunOperation()
	}
	out := &describeInstanceTypesOutput{InstanceTypes: []instanceTypeItem{}, NextToken: next}
	for _, t := range page {
		out.InstanceTypes = append(out.InstanceTypes, instanceTypeWire(*t))
	}
	return out, nil
}
