package ecs

import (
	"context"
	"regexp"
	"slices"
	"strconv"

	"github.com/berthdev/berth/internal/localcloud/service/ecs/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Cluster statuses.
const (
	statusActive   = "ACTIVE"
	statusInactive = "INACTIVE"
	statusDraining = "DRAINING"
)

var namePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,255}$`)

// Clusters returns every cluster, INACTIVE ones included.
func (s *State) Clusters() ([]*Cluster, error) {
	return store.List[Cluster](s.tx, tableClusters)
}

// Cluster returns the cluster a name or ARN means, nil when there is none.
func (s *State) Cluster(nameOrARN string) (*Cluster, error) {
	if nameOrARN == "" {
		nameOrARN = "default"
	}
	if s.foreign(nameOrARN) {
		return nil, nil
	}
	return store.Get[Cluster](s.tx, tableClusters, nameFromRef(nameOrARN, "cluster"))
}

// activeCluster is Cluster for operations that need an ACTIVE one.
func (s *State) activeCluster(nameOrARN string) (*Cluster, error) {
	c, err := s.Cluster(nameOrARN)
	if err != nil {
		return nil, err
	}
	if c == nil || c.Status != statusActive {
		return nil, errClusterNotFound()
	}
	return c, nil
}

// PutCluster stores a cluster. Counts and tags are not stored: they are
// derived when the cluster is described.
func (s *State) PutCluster(c *Cluster) error {
	stored := *c
	stored.Tags = nil
	stored.Statistics = nil
	stored.RegisteredContainerInstancesCount, stored.RunningTasksCount, stored.PendingTasksCount, stored.ActiveServicesCount = 0, 0, 0, 0
	return s.tx.Put(tableClusters, c.ClusterName, &stored)
}

// withCounts fills a cluster's counts (and, when asked, statistics and tags)
// from the state.
func (s *State) withCounts(c *Cluster, include []string) (*Cluster, error) {
	out := *c
	instances, err := s.ContainerInstances(c.ClusterArn)
	if err != nil {
		return nil, err
	}
	for _, ci := range instances {
		if ci.Status == statusActive || ci.Status == statusDraining {
			out.RegisteredContainerInstancesCount++
		}
	}
	tasks, err := s.Tasks(c.ClusterArn)
	if err != nil {
		return nil, err
	}
	var runningFargate, pendingFargate int
	for _, t := range tasks {
		switch t.LastStatus {
		case "RUNNING":
			out.RunningTasksCount++
			if t.LaunchType == "FARGATE" {
				runningFargate++
			}
		case "PROVISIONING", "PENDING", "ACTIVATING":
			out.PendingTasksCount++
			if t.LaunchType == "FARGATE" {
				pendingFargate++
			}
		}
	}
	services, err := s.Services(c.ClusterArn)
	if err != nil {
		return nil, err
	}
	var activeFargate, draining, drainingFargate int
	for _, svc := range services {
		fargate := svc.LaunchType == "FARGATE"
		switch svc.Status {
		case statusActive:
			out.ActiveServicesCount++
			if fargate {
				activeFargate++
			}
		case statusDraining:
			draining++
			if fargate {
				drainingFargate++
			}
		}
	}
	out.Statistics = []KeyValuePair{}
	if slices.Contains(include, "STATISTICS") {
		stat := func(name string, n int) KeyValuePair { return KeyValuePair{Name: name, Value: strconv.Itoa(n)} }
		out.Statistics = []KeyValuePair{
			stat("runningEC2TasksCount", int(out.RunningTasksCount)-runningFargate),
			stat("runningFargateTasksCount", runningFargate),
			stat("pendingEC2TasksCount", int(out.PendingTasksCount)-pendingFargate),
			stat("pendingFargateTasksCount", pendingFargate),
			stat("runningExternalTasksCount", 0),
			stat("pendingExternalTasksCount", 0),
			stat("activeEC2ServiceCount", int(out.ActiveServicesCount)-activeFargate),
			stat("activeFargateServiceCount", activeFargate),
			stat("drainingEC2ServiceCount", draining-drainingFargate),
			stat("drainingFargateServiceCount", drainingFargate),
			stat("activeExternalServiceCount", 0),
			stat("drainingExternalServiceCount", 0),
		}
	}
	out.Tags = []Tag{}
	if slices.Contains(include, "TAGS") {
		if out.Tags, err = s.tags(c.ClusterArn); err != nil {
			return nil, err
		}
	}
	if !slices.Contains(include, "ATTACHMENTS") {
		out.Attachments = nil
		out.AttachmentsStatus = ""
	}
	if !slices.Contains(include, "SETTINGS") && !slices.Contains(include, "CONFIGURATIONS") {
		// DescribeClusters sends settings only when asked; Create and Update
		// always do (they pass SETTINGS themselves).
		out.Settings = nil
	}
	return &out, nil
}

// validateStrategy checks a capacity provider strategy against the
// providers associated with the cluster.
func (s *State) validateStrategy(strategy []CapacityProviderStrategyItem, associated []string) error {
	if len(strategy) == 0 {
		return nil
	}
	if len(strategy) > 20 {
		return errInvalidParameter("The specified capacity provider strategy cannot contain more than 20 capacity providers.")
	}
	seen := map[string]bool{}
	bases, positive := 0, false
	var fargate, asg bool
	for _, item := range strategy {
		name := nameFromRef(item.CapacityProvider, "capacity-provider")
		if name == "" {
			return errMissing("capacityProvider")
		}
		if seen[name] {
			return errInvalidParameter("The specified capacity provider strategy cannot contain duplicate capacity providers.")
		}
		seen[name] = true
		if item.Weight < 0 || item.Weight > 1000 {
			return errInvalidParameter("The specified capacity provider strategy weight must be between 0 and 1000.")
		}
		if item.Base < 0 || item.Base > 100000 {
			return errInvalidParameter("The specified capacity provider strategy base must be between 0 and 100000.")
		}
		if item.Base > 0 {
			bases++
		}
		if item.Weight > 0 {
			positive = true
		}
		if !slices.Contains(associated, name) {
			return errInvalidParameter("The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.")
		}
		if isFargateProvider(name) {
			fargate = true
		} else {
			asg = true
		}
	}
	if bases > 1 {
		return errInvalidParameter("The specified capacity provider strategy cannot specify a base for more than one capacity provider.")
	}
	if !positive {
		return errInvalidParameter("The specified capacity provider strategy must contain at least one capacity provider with a weight greater than zero.")
	}
	if fargate && asg {
		return errInvalidParameter("The specified capacity provider strategy cannot contain a mix of capacity providers using Auto Scaling groups and Fargate providers. Specify one or the other and try again.")
	}
	return nil
}

// setClusterProviders validates and applies a cluster's capacity providers
// and default strategy, with the managed scaling policy attachments ECS
// creates for ASG providers.
func (s *State) setClusterProviders(c *Cluster, providers []string, strategy []CapacityProviderStrategyItem) error {
	names := make([]string, 0, len(providers))
	attachments := []Attachment{}
	for _, ref := range providers {
		name := nameFromRef(ref, "capacity-provider")
		if slices.Contains(names, name) {
			return errInvalidParameter("The specified capacity providers cannot contain duplicates.")
		}
		cp, err := s.CapacityProvider(name)
		if err != nil {
			return err
		}
		if cp == nil || cp.Status != statusActive {
			return errInvalidParameter("The specified capacity provider '%s' does not exist. Specify a valid capacity provider and try again.", name)
		}
		if !isFargateProvider(name) {
			owner, err := s.clusterUsingProvider(name)
			if err != nil {
				return err
			}
			if owner != nil && owner.ClusterName != c.ClusterName {
				return errInvalidParameter("The specified capacity provider '%s' is already associated with another cluster. A capacity provider using an Auto Scaling group can only be associated with one cluster.", name)
			}
			attachments = append(attachments, Attachment{
				Id: store.NewUUID(), Type: "as_policy", Status: "CREATED",
				Details: []KeyValuePair{
					{Name: "capacityProviderName", Value: name},
					{Name: "scalingPolicyName", Value: "ECSManagedAutoScalingPolicy-" + store.NewUUID()},
				},
			})
		}
		names = append(names, name)
	}
	normalized := make([]CapacityProviderStrategyItem, len(strategy))
	for i, item := range strategy {
		item.CapacityProvider = nameFromRef(item.CapacityProvider, "capacity-provider")
		normalized[i] = item
	}
	if err := s.validateStrategy(normalized, names); err != nil {
		return err
	}
	// Keep the attachments of providers that stay, so their ids are stable.
	for i, a := range attachments {
		for _, old := range c.Attachments {
			if detail(old.Details, "capacityProviderName") == detail(a.Details, "capacityProviderName") {
				attachments[i] = old
			}
		}
	}
	c.CapacityProviders = names
	c.DefaultCapacityProviderStrategy = normalized
	if len(attachments) > 0 || len(c.Attachments) > 0 {
		c.Attachments = attachments
		c.AttachmentsStatus = "UPDATE_COMPLETE"
	}
	return nil
}

func detail(details []KeyValuePair, name string) string {
	for _, d := range details {
		if d.Name == name {
			return d.Value
		}
	}
	return ""
}

// clusterUsingProvider returns the ACTIVE cluster a capacity provider is
// associated with, nil when none.
func (s *State) clusterUsingProvider(name string) (*Cluster, error) {
	clusters, err := s.Clusters()
	if err != nil {
		return nil, err
	}
	for _, c := range clusters {
		if c.Status == statusActive && slices.Contains(c.CapacityProviders, name) {
			return c, nil
		}
	}
	return nil, nil
}

func validateSettings(settings []ClusterSetting) error {
	for _, st := range settings {
		if st.Name != "containerInsights" {
			return errInvalidParameter("Invalid cluster setting name: %s.", st.Name)
		}
		if !slices.Contains([]string{"enabled", "disabled", "enhanced"}, st.Value) {
			return errInvalidParameter("Invalid value for containerInsights setting: %s.", st.Value)
		}
	}
	return nil
}

func (b *Backend) createCluster(ctx context.Context, in *wire.CreateClusterRequest) (*wire.CreateClusterResponse, error) {
	name := in.ClusterName
	if name == "" {
		name = "default"
	}
	if !namePattern.MatchString(name) {
		return nil, errInvalidParameter("Cluster name must be 1-255 characters: letters, numbers, hyphens and underscores.")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if err := validateSettings(in.Settings); err != nil {
		return nil, err
	}
	var out *Cluster
	err := b.Update(ctx, func(s *State) error {
		existing, err := s.Cluster(name)
		if err != nil {
			return err
		}
		if existing != nil && existing.Status == statusActive {
			// CreateCluster is idempotent for a name that exists.
			out, err = s.withCounts(existing, []string{"SETTINGS", "TAGS", "ATTACHMENTS"})
			return err
		}
		c := &Cluster{
			ClusterArn:    s.arn("cluster/" + name),
			ClusterName:   name,
			Status:        statusActive,
			Configuration: in.Configuration,
			Settings:      []ClusterSetting{{Name: "containerInsights", Value: "disabled"}},
		}
		if len(in.Settings) > 0 {
			c.Settings = in.Settings
		}
		c.ServiceConnectDefaults = serviceConnectDefaultsIn(in.ServiceConnectDefaults)
		if err := s.setClusterProviders(c, in.CapacityProviders, strategyListIn(in.DefaultCapacityProviderStrategy)); err != nil {
			return err
		}
		if err := s.PutCluster(c); err != nil {
			return err
		}
		if err := s.putTags(c.ClusterArn, in.Tags); err != nil {
			return err
		}
		out, err = s.withCounts(c, []string{"SETTINGS", "TAGS", "ATTACHMENTS"})
		return err
	})
	return &wire.CreateClusterResponse{Cluster: clusterOut(out)}, err
}

func validateInclude(include []string, allowed ...string) error {
	for _, v := range include {
		if !slices.Contains(allowed, v) {
			return errInvalidParameter("Invalid include value: %s.", v)
		}
	}
	return nil
}

func (b *Backend) describeClusters(ctx context.Context, in *wire.DescribeClustersRequest) (*wire.DescribeClustersResponse, error) {
	if err := validateInclude(in.Include, "ATTACHMENTS", "CONFIGURATIONS", "SETTINGS", "STATISTICS", "TAGS"); err != nil {
		return nil, err
	}
	if len(in.Clusters) > 100 {
		return nil, errInvalidParameter("clusters can have at most 100 items.")
	}
	refs := in.Clusters
	if len(refs) == 0 {
		refs = []string{"default"}
	}
	out := &wire.DescribeClustersResponse{Clusters: []wire.Cluster{}, Failures: []Failure{}}
	err := b.View(ctx, func(s *State) error {
		return eachRef(s, refs, "cluster/", &out.Failures, s.Cluster, func(c *Cluster) error {
			described, err := s.withCounts(c, in.Include)
			if err != nil {
				return err
			}
			out.Clusters = append(out.Clusters, *clusterOut(described))
			return nil
		})
	})
	return out, err
}

func (b *Backend) listClusters(ctx context.Context, in *wire.ListClustersRequest) (*wire.ListClustersResponse, error) {
	pageOf, next, err := b.listARNs(ctx, in.NextToken, in.MaxResults, 100, func(s *State, add func(arn string)) error {
		clusters, err := s.Clusters()
		if err != nil {
			return err
		}
		for _, c := range clusters {
			if c.Status == statusActive {
				add(c.ClusterArn)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wire.ListClustersResponse{ClusterArns: pageOf, NextToken: next}, nil
}

func (b *Backend) updateCluster(ctx context.Context, in *wire.UpdateClusterRequest) (*wire.UpdateClusterResponse, error) {
	if in.Cluster == "" {
		return nil, errMissing("cluster")
	}
	if err := validateSettings(in.Settings); err != nil {
		return nil, err
	}
	var out *Cluster
	err := b.Update(ctx, func(s *State) error {
		c, err := s.activeCluster(in.Cluster)
		if err != nil {
			return err
		}
		for _, st := range in.Settings {
			c.Settings = setSetting(c.Settings, st)
		}
		if in.Configuration != nil {
			c.Configuration = in.Configuration
		}
		if in.ServiceConnectDefaults != nil {
			c.ServiceConnectDefaults = serviceConnectDefaultsIn(in.ServiceConnectDefaults)
		}
		if err := s.PutCluster(c); err != nil {
			return err
		}
		out, err = s.withCounts(c, []string{"SETTINGS", "TAGS"})
		return err
	})
	return &wire.UpdateClusterResponse{Cluster: clusterOut(out)}, err
}

func setSetting(settings []ClusterSetting, st ClusterSetting) []ClusterSetting {
	for i := range settings {
		if settings[i].Name == st.Name {
			settings[i].Value = st.Value
			return settings
		}
	}
	return append(settings, st)
}

func (b *Backend) updateClusterSettings(ctx context.Context, in *wire.UpdateClusterSettingsRequest) (*wire.UpdateClusterSettingsResponse, error) {
	if in.Settings == nil {
		return nil, errMissing("settings")
	}
	out, err := b.updateCluster(ctx, &wire.UpdateClusterRequest{Cluster: in.Cluster, Settings: in.Settings})
	if err != nil {
		return nil, err
	}
	return &wire.UpdateClusterSettingsResponse{Cluster: out.Cluster}, nil
}

func (b *Backend) deleteCluster(ctx context.Context, in *wire.DeleteClusterRequest) (*wire.DeleteClusterResponse, error) {
	if in.Cluster == "" {
		return nil, errMissing("cluster")
	}
	var out *Cluster
	err := b.Update(ctx, func(s *State) error {
		c, err := s.activeCluster(in.Cluster)
		if err != nil {
			return err
		}
		services, err := s.Services(c.ClusterArn)
		if err != nil {
			return err
		}
		if len(services) > 0 {
			return errClusterContainsServices()
		}
		instances, err := s.ContainerInstances(c.ClusterArn)
		if err != nil {
			return err
		}
		for _, ci := range instances {
			if ci.Status == statusActive || ci.Status == statusDraining {
				return errClusterContainsContainerInstances()
			}
		}
		tasks, err := s.Tasks(c.ClusterArn)
		if err != nil {
			return err
		}
		for _, t := range tasks {
			if t.LastStatus != taskStopped {
				return errClusterContainsTasks()
			}
		}
		c.Status = statusInactive
		c.CapacityProviders = []string{}
		c.DefaultCapacityProviderStrategy = []CapacityProviderStrategyItem{}
		c.Attachments = nil
		c.AttachmentsStatus = ""
		if err := s.PutCluster(c); err != nil {
			return err
		}
		out, err = s.withCounts(c, []string{"SETTINGS", "TAGS"})
		return err
	})
	return &wire.DeleteClusterResponse{Cluster: clusterOut(out)}, err
}

func (b *Backend) putClusterCapacityProviders(ctx context.Context, in *wire.PutClusterCapacityProvidersRequest) (*wire.PutClusterCapacityProvidersResponse, error) {
	switch {
	case in.Cluster == "":
		return nil, errMissing("cluster")
	case in.CapacityProviders == nil:
		return nil, errMissing("capacityProviders")
	case in.DefaultCapacityProviderStrategy == nil:
		return nil, errMissing("defaultCapacityProviderStrategy")
	}
	var out *Cluster
	err := b.Update(ctx, func(s *State) error {
		c, err := s.activeCluster(in.Cluster)
		if err != nil {
			return err
		}
		kept := make([]string, len(in.CapacityProviders))
		for i, ref := range in.CapacityProviders {
			kept[i] = nameFromRef(ref, "capacity-provider")
		}
		services, err := s.Services(c.ClusterArn)
		if err != nil {
			return err
		}
		for _, removed := range c.CapacityProviders {
			if slices.Contains(kept, removed) {
				continue
			}
			for _, svc := range services {
				for _, item := range svc.CapacityProviderStrategy {
					if item.CapacityProvider == removed {
						return errResourceInUse("The specified capacity provider is in use and cannot be removed.")
					}
				}
			}
		}
		if err := s.setClusterProviders(c, in.CapacityProviders, strategyListIn(in.DefaultCapacityProviderStrategy)); err != nil {
			return err
		}
		if err := s.PutCluster(c); err != nil {
			return err
		}
		out, err = s.withCounts(c, []string{"SETTINGS", "TAGS", "ATTACHMENTS"})
		return err
	})
	return &wire.PutClusterCapacityProvidersResponse{Cluster: clusterOut(out)}, err
}
