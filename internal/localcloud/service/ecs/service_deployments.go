package ecs

import (
	"context"
	"encoding/json"
	"github.com/berthdev/berth/internal/localcloud/service/ecs/wire"
	"math"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Service deployments and revisions (ListServiceDeployments,
// DescribeServiceDeployments, DescribeServiceRevisions) are a history kept
// beside the service: each deployment the service starts gets a service
// revision (what it runs) and a service deployment (the move from the
// revisions running before to it). PutService brings them up to date from
// the service's deployments, so the scheduler's changes (rollout completed,
// circuit breaker tripped, rolled back, replaced) reach them with nothing
// else to call, and they outlive the deployments the service forgets.

const (
	tableServiceDeployments = "ecs/service-deployments"  // by "<cluster>/<service>/<id>"
	tableServiceRevisions   = "ecs/service-revisions"    // by "<cluster>/<service>/<id>"
	tableRollbacks          = "ecs/deployment-rollbacks" // by the rollback's deployment id: the failed one's
)

// Service deployment statuses.
const (
	sdInProgress         = "IN_PROGRESS"
	sdSuccessful         = "SUCCESSFUL"
	sdStopped            = "STOPPED"
	sdRollbackInProgress = "ROLLBACK_IN_PROGRESS"
	sdRollbackSuccessful = "ROLLBACK_SUCCESSFUL"
	sdRollbackFailed     = "ROLLBACK_FAILED"
)

// ServiceRevisionSummary is a revision's part in a service deployment.
type ServiceRevisionSummary struct {
	Arn                string `json:"arn"`
	RequestedTaskCount int32  `json:"requestedTaskCount"`
	RunningTaskCount   int32  `json:"runningTaskCount"`
	PendingTaskCount   int32  `json:"pendingTaskCount"`
}

// ServiceDeploymentCircuitBreaker is the circuit breaker's watch over one
// service deployment.
type ServiceDeploymentCircuitBreaker struct {
	Status       string `json:"status"`
	FailureCount int32  `json:"failureCount"`
	Threshold    int32  `json:"threshold"`
}

// ServiceDeploymentRollback says what a failed deployment rolled back to.
type ServiceDeploymentRollback struct {
	Reason             string       `json:"reason,omitempty"`
	StartedAt          awsjson.Time `json:"startedAt,omitzero"`
	ServiceRevisionArn string       `json:"serviceRevisionArn,omitempty"`
}

// ServiceDeployment is one move of a service from its running revisions to
// a target revision.
type ServiceDeployment struct {
	ServiceDeploymentArn     string                           `json:"serviceDeploymentArn"`
	ServiceArn               string                           `json:"serviceArn"`
	ClusterArn               string                           `json:"clusterArn"`
	CreatedAt                awsjson.Time                     `json:"createdAt,omitzero"`
	StartedAt                awsjson.Time                     `json:"startedAt,omitzero"`
	FinishedAt               awsjson.Time                     `json:"finishedAt,omitzero"`
	StoppedAt                awsjson.Time                     `json:"stoppedAt,omitzero"`
	UpdatedAt                awsjson.Time                     `json:"updatedAt,omitzero"`
	SourceServiceRevisions   []ServiceRevisionSummary         `json:"sourceServiceRevisions"`
	TargetServiceRevision    *ServiceRevisionSummary          `json:"targetServiceRevision,omitempty"`
	Status                   string                           `json:"status"`
	StatusReason             string                           `json:"statusReason,omitempty"`
	LifecycleStage           string                           `json:"lifecycleStage,omitempty"`
	DeploymentConfiguration  *DeploymentConfiguration         `json:"deploymentConfiguration,omitempty"`
	Rollback                 *ServiceDeploymentRollback       `json:"rollback,omitempty"`
	DeploymentCircuitBreaker *ServiceDeploymentCircuitBreaker `json:"deploymentCircuitBreaker,omitempty"`
	Alarms                   *ServiceDeploymentAlarms         `json:"alarms,omitempty"`
}

// ServiceRevision is what one deployment of a service runs.
type ServiceRevision struct {
	ServiceRevisionArn       string                         `json:"serviceRevisionArn"`
	ServiceArn               string                         `json:"serviceArn"`
	ClusterArn               string                         `json:"clusterArn"`
	TaskDefinition           string                         `json:"taskDefinition"`
	CapacityProviderStrategy []CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	LaunchType               string                         `json:"launchType,omitempty"`
	PlatformVersion          string                         `json:"platformVersion,omitempty"`
	LoadBalancers            []LoadBalancer                 `json:"loadBalancers"`
	ServiceRegistries        []ServiceRegistry              `json:"serviceRegistries"`
	NetworkConfiguration     *NetworkConfiguration          `json:"networkConfiguration,omitempty"`
	ContainerImages          []ContainerImage               `json:"containerImages"`
	GuardDutyEnabled         bool                           `json:"guardDutyEnabled"`
	CreatedAt                awsjson.Time                   `json:"createdAt,omitzero"`
}

// serviceDeploymentRecord is a service deployment and the deployment of
// the service it follows.
type serviceDeploymentRecord struct {
	Deployment   ServiceDeployment
	DeploymentID string
}

// deploymentSuffix is the id part of a deployment's history ARNs: the
// digits of its "ecs-svc/<digits>" id.
func deploymentSuffix(deploymentID string) string {
	return strings.TrimPrefix(deploymentID, "ecs-svc/")
}

func historyKey(svc *Service, deploymentID string) string {
	return childKey(nameFromRef(svc.ClusterArn, "cluster"), svc.ServiceName) + "/" + deploymentSuffix(deploymentID)
}

func (s *State) revisionARN(svc *Service, deploymentID string) string {
	return s.arn("service-revision/" + nameFromRef(svc.ClusterArn, "cluster") + "/" + svc.ServiceName + "/" + deploymentSuffix(deploymentID))
}

// CircuitBreakerThreshold is how many failed tasks fail a deployment of a
// service of desired tasks: half of them, at least 3 and at most 200.
func CircuitBreakerThreshold(desired int) int {
	return min(200, max(3, int(math.Ceil(0.5*float64(desired)))))
}

// syncHistory brings the service's deployments and revisions up to date;
// PutService calls it, so every change the service goes through is seen.
func (s *State) syncHistory(svc *Service) error {
	var rollbacks []Deployment
	for _, d := range svc.Deployments {
		if err := s.ensureRevision(svc, d); err != nil {
			return err
		}
		failed, err := store.Get[string](s.tx, tableRollbacks, d.Id)
		if err != nil {
			return err
		}
		if failed != nil {
			rollbacks = append(rollbacks, d)
			continue
		}
		if err := s.syncDeployment(svc, d); err != nil {
			return err
		}
	}
	for _, d := range rollbacks {
		failed, err := store.Get[string](s.tx, tableRollbacks, d.Id)
		if err != nil {
			return err
		}
		if err := s.syncRollback(svc, *failed, d); err != nil {
			return err
		}
	}
	if svc.Status == statusActive {
		return nil
	}
	// A deleted service's unfinished deployments stop with it.
	records, err := s.serviceDeploymentRecords(svc)
	if err != nil {
		return err
	}
	for _, r := range records {
		if r.Deployment.Status == sdInProgress || r.Deployment.Status == "PENDING" {
			r.Deployment.Status, r.Deployment.StatusReason = sdStopped, "The service was deleted."
			r.Deployment.StoppedAt, r.Deployment.UpdatedAt = awsjsonTime(s.now), awsjsonTime(s.now)
			if err := s.tx.Put(tableServiceDeployments, historyKey(svc, r.DeploymentID), r); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *State) ensureRevision(svc *Service, d Deployment) error {
	key := historyKey(svc, d.Id)
	existing, err := store.Get[ServiceRevision](s.tx, tableServiceRevisions, key)
	if err != nil || existing != nil {
		return err
	}
	rev := &ServiceRevision{
		ServiceRevisionArn:       s.revisionARN(svc, d.Id),
		ServiceArn:               svc.ServiceArn,
		ClusterArn:               svc.ClusterArn,
		TaskDefinition:           d.TaskDefinition,
		CapacityProviderStrategy: d.CapacityProviderStrategy,
		LaunchType:               d.LaunchType,
		PlatformVersion:          d.PlatformVersion,
		LoadBalancers:            orEmpty(svc.LoadBalancers),
		ServiceRegistries:        orEmpty(svc.ServiceRegistries),
		NetworkConfiguration:     d.NetworkConfiguration,
		ContainerImages:          []ContainerImage{},
		CreatedAt:                d.CreatedAt,
	}
	def, err := s.TaskDefinition(d.TaskDefinition)
	if err != nil {
		return err
	}
	if def != nil {
		for _, cd := range def.ContainerDefinitions {
			rev.ContainerImages = append(rev.ContainerImages, ContainerImage{ContainerName: cd.Name, Image: cd.Image})
		}
	}
	return s.tx.Put(tableServiceRevisions, key, rev)
}

func summaryOf(s *State, svc *Service, d Deployment) ServiceRevisionSummary {
	return ServiceRevisionSummary{Arn: s.revisionARN(svc, d.Id), RequestedTaskCount: d.DesiredCount, RunningTaskCount: d.RunningCount, PendingTaskCount: d.PendingCount}
}

func (s *State) syncDeployment(svc *Service, d Deployment) error {
	key := historyKey(svc, d.Id)
	record, err := store.Get[serviceDeploymentRecord](s.tx, tableServiceDeployments, key)
	if err != nil {
		return err
	}
	var before []byte
	if record == nil {
		record = &serviceDeploymentRecord{DeploymentID: d.Id, Deployment: ServiceDeployment{
			ServiceDeploymentArn:    s.arn("service-deployment/" + nameFromRef(svc.ClusterArn, "cluster") + "/" + svc.ServiceName + "/" + deploymentSuffix(d.Id)),
			ServiceArn:              svc.ServiceArn,
			ClusterArn:              svc.ClusterArn,
			CreatedAt:               d.CreatedAt,
			StartedAt:               d.CreatedAt,
			SourceServiceRevisions:  []ServiceRevisionSummary{},
			Status:                  sdInProgress,
			DeploymentConfiguration: svc.DeploymentConfiguration,
		}}
		// What ran when it started: the service's other deployments.
		for _, other := range svc.Deployments {
			if other.Id != d.Id {
				record.Deployment.SourceServiceRevisions = append(record.Deployment.SourceServiceRevisions, summaryOf(s, svc, other))
			}
		}
	} else {
		if record.Deployment.Status != sdInProgress {
			return nil // finished: it keeps the counts it finished with
		}
		before, _ = json.Marshal(record)
	}
	sd := &record.Deployment
	target := summaryOf(s, svc, d)
	sd.TargetServiceRevision = &target
	sd.DeploymentCircuitBreaker = s.breakerOf(svc, d, sd.Status)
	if cfg := svc.DeploymentConfiguration; cfg != nil && cfg.Alarms != nil {
		status := "DISABLED"
		if cfg.Alarms.Enable {
			status = "MONITORING"
		}
		sd.Alarms = &ServiceDeploymentAlarms{Status: status, AlarmNames: cfg.Alarms.AlarmNames}
	}
	if sd.Status == sdInProgress {
		switch {
		case d.Status == deploymentPrimary && d.RolloutState == rolloutCompleted:
			sd.Status, sd.StatusReason = sdSuccessful, "Service deployment completed."
			sd.FinishedAt = awsjsonTime(s.now)
		case d.RolloutState == "FAILED":
			sd.Status, sd.StatusReason = sdStopped, d.RolloutStateReason
			sd.StoppedAt = awsjsonTime(s.now)
			sd.DeploymentCircuitBreaker = s.breakerOf(svc, d, sd.Status)
		case d.Status != deploymentPrimary:
			sd.Status, sd.StatusReason = sdStopped, "A newer service deployment replaced this one."
			sd.StoppedAt = awsjsonTime(s.now)
		}
	}
	after, _ := json.Marshal(record)
	if string(after) == string(before) {
		return nil
	}
	sd.UpdatedAt = awsjsonTime(s.now)
	return s.tx.Put(tableServiceDeployments, key, record)
}

// breakerOf is the circuit breaker's view of deployment d.
func (s *State) breakerOf(svc *Service, d Deployment, status string) *ServiceDeploymentCircuitBreaker {
	cfg := svc.DeploymentConfiguration
	if cfg == nil || cfg.DeploymentCircuitBreaker == nil || !cfg.DeploymentCircuitBreaker.Enable {
		return &ServiceDeploymentCircuitBreaker{Status: "DISABLED"}
	}
	out := &ServiceDeploymentCircuitBreaker{Status: "MONITORING", FailureCount: d.FailedTasks, Threshold: int32(CircuitBreakerThreshold(int(svc.DesiredCount)))}
	switch {
	case d.RolloutState == "FAILED":
		out.Status = "TRIGGERED"
	case status != sdInProgress:
		out.Status = "MONITORING_COMPLETE"
	}
	return out
}

// syncRollback follows a rollback deployment on the service deployment that
// failed: rolling back while it runs, then successful or failed.
func (s *State) syncRollback(svc *Service, failedID string, d Deployment) error {
	key := historyKey(svc, failedID)
	record, err := store.Get[serviceDeploymentRecord](s.tx, tableServiceDeployments, key)
	if err != nil || record == nil {
		return err
	}
	before, _ := json.Marshal(record)
	sd := &record.Deployment
	if sd.Rollback == nil {
		sd.Rollback = &ServiceDeploymentRollback{
			Reason:             "Circuit breaker triggered: tasks failed to start.",
			StartedAt:          d.CreatedAt,
			ServiceRevisionArn: s.revisionARN(svc, d.Id),
		}
	}
	switch {
	case d.RolloutState == rolloutCompleted:
		if sd.Status != sdRollbackSuccessful {
			sd.Status, sd.StatusReason, sd.FinishedAt = sdRollbackSuccessful, "Service deployment rolled back.", awsjsonTime(s.now)
		}
	case d.RolloutState == "FAILED" || (d.Status != deploymentPrimary && d.RolloutState == rolloutInProgress):
		if sd.Status != sdRollbackFailed {
			sd.Status, sd.StatusReason, sd.StoppedAt = sdRollbackFailed, "The rollback did not complete.", awsjsonTime(s.now)
		}
	default:
		sd.Status, sd.StatusReason = sdRollbackInProgress, "Rolling back to an earlier service revision."
	}
	after, _ := json.Marshal(record)
	if string(after) == string(before) {
		return nil
	}
	sd.UpdatedAt = awsjsonTime(s.now)
	return s.tx.Put(tableServiceDeployments, key, record)
}

// serviceDeploymentRecords lists one service's deployment history.
func (s *State) serviceDeploymentRecords(svc *Service) ([]*serviceDeploymentRecord, error) {
	all, err := store.List[serviceDeploymentRecord](s.tx, tableServiceDeployments)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(r *serviceDeploymentRecord) bool { return r.Deployment.ServiceArn != svc.ServiceArn }), nil
}

// historyRef resolves a service deployment or revision ARN of this scope to
// its key, "" when it is not one.
func (s *State) historyRef(arn, kind string) string {
	if !isARN(arn) || s.foreign(arn) {
		return ""
	}
	_, rest, ok := strings.Cut(arn, ":"+kind+"/")
	if !ok || strings.Count(rest, "/") != 2 {
		return ""
	}
	return rest
}

// listServiceDeployments lists a service's deployments, newest first.
func (b *Backend) listServiceDeployments(ctx context.Context, in *wire.ListServiceDeploymentsRequest) (*wire.ListServiceDeploymentsResponse, error) {
	if in.Service == "" {
		return nil, errMissing("service")
	}
	var found []ServiceDeployment
	err := b.View(ctx, func(s *State) error {
		cluster, err := s.Cluster(in.Cluster)
		if err != nil {
			return err
		}
		if cluster == nil {
			return errClusterNotFound()
		}
		svc, err := s.Service(cluster.ClusterName, in.Service)
		if err != nil {
			return err
		}
		if svc == nil {
			return errServiceNotFound()
		}
		records, err := s.serviceDeploymentRecords(svc)
		if err != nil {
			return err
		}
		for _, r := range records {
			sd := r.Deployment
			switch {
			case len(in.Status) > 0 && !slices.Contains(in.Status, sd.Status):
			case in.CreatedAt != nil && in.CreatedAt.Before != nil && !sd.CreatedAt.Time().Before(in.CreatedAt.Before.Time()):
			case in.CreatedAt != nil && in.CreatedAt.After != nil && !sd.CreatedAt.Time().After(in.CreatedAt.After.Time()):
			default:
				found = append(found, sd)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(found, func(a, b ServiceDeployment) int { return b.CreatedAt.Time().Compare(a.CreatedAt.Time()) })
	pageOf, next, err := page(found, nil, in.NextToken, in.MaxResults, 20)
	if err != nil {
		return nil, err
	}
	return &wire.ListServiceDeploymentsResponse{ServiceDeployments: orEmpty(listOf(pageOf, serviceDeploymentBriefOut)), NextToken: next}, nil
}

func (b *Backend) describeServiceDeployments(ctx context.Context, in *wire.DescribeServiceDeploymentsRequest) (*wire.DescribeServiceDeploymentsResponse, error) {
	switch {
	case len(in.ServiceDeploymentArns) == 0:
		return nil, errMissing("serviceDeploymentArns")
	case len(in.ServiceDeploymentArns) > 20:
		return nil, errInvalidParameter("serviceDeploymentArns can have at most 20 items.")
	}
	out := &wire.DescribeServiceDeploymentsResponse{ServiceDeployments: []wire.ServiceDeployment{}, Failures: []Failure{}}
	err := b.View(ctx, func(s *State) error {
		for _, arn := range in.ServiceDeploymentArns {
			key := s.historyRef(arn, "service-deployment")
			if key == "" {
				out.Failures = append(out.Failures, Failure{Arn: arn, Reason: "MISSING", Detail: "Invalid service deployment ARN."})
				continue
			}
			r, err := store.Get[serviceDeploymentRecord](s.tx, tableServiceDeployments, key)
			if err != nil {
				return err
			}
			if r == nil {
				out.Failures = append(out.Failures, Failure{Arn: arn, Reason: "MISSING"})
				continue
			}
			out.ServiceDeployments = append(out.ServiceDeployments, serviceDeploymentOut(r.Deployment))
		}
		return nil
	})
	return out, err
}

func (b *Backend) describeServiceRevisions(ctx context.Context, in *wire.DescribeServiceRevisionsRequest) (*wire.DescribeServiceRevisionsResponse, error) {
	switch {
	case len(in.ServiceRevisionArns) == 0:
		return nil, errMissing("serviceRevisionArns")
	case len(in.ServiceRevisionArns) > 20:
		return nil, errInvalidParameter("serviceRevisionArns can have at most 20 items.")
	}
	out := &wire.DescribeServiceRevisionsResponse{ServiceRevisions: []wire.ServiceRevision{}, Failures: []Failure{}}
	err := b.View(ctx, func(s *State) error {
		for _, arn := range in.ServiceRevisionArns {
			key := s.historyRef(arn, "service-revision")
			if key == "" {
				out.Failures = append(out.Failures, Failure{Arn: arn, Reason: "MISSING", Detail: "Invalid service revision ARN."})
				continue
			}
			rev, err := store.Get[ServiceRevision](s.tx, tableServiceRevisions, key)
			if err != nil {
				return err
			}
			if rev == nil {
				out.Failures = append(out.Failures, Failure{Arn: arn, Reason: "MISSING"})
				continue
			}
			out.ServiceRevisions = append(out.ServiceRevisions, serviceRevisionOut(*rev))
		}
		return nil
	})
	return out, err
}
