package controller

import (
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/service/ecs"
)

// An awsvpc task's network interface outlives its containers: ECS reports
// the task DEPROVISIONING while it detaches the ENI, and STOPPED once the
// ENI is deleted. Until then the ENI still counts against its instance's
// limit, so placement sees the task as holding it (it is not STOPPED).
const (
	attachmentAttached = "ATTACHED"
	attachmentDetached = "DETACHED"
	attachmentDeleted  = "DELETED"
)

// withDeprovisioning holds a task that has just stopped in DEPROVISIONING
// when it has an awsvpc network interface to detach.
func withDeprovisioning(s *ecs.State, before, after *ecs.Task) error {
	if after.LastStatus != statusStopped || before.LastStatus == statusStopped || before.LastStatus == statusDeprovisioning {
		return nil
	}
	def, err := s.TaskDefinition(after.TaskDefinitionArn)
	if err != nil || def == nil || def.NetworkMode != "awsvpc" {
		return err
	}
	if !setENIStatus(after, attachmentAttached, attachmentDetached) {
		return nil // never placed: no ENI was attached
	}
	after.LastStatus = statusDeprovisioning
	after.StoppedAt = awsjson.Time{} // set once STOPPED
	return nil
}

// finishDeprovisioning deletes the detached ENI and stops the task.
func finishDeprovisioning(t *ecs.Task) {
	if t.LastStatus != statusDeprovisioning {
		return
	}
	setENIStatus(t, attachmentDetached, attachmentDeleted)
	t.LastStatus = statusStopped
	t.StoppedAt = awsjson.NewTime(time.Now())
}

// setENIStatus moves the task's ENI attachments from one status to the
// next, reporting whether it had one in the first.
func setENIStatus(t *ecs.Task, from, to string) bool {
	moved := false
	for i := range t.Attachments {
		a := &t.Attachments[i]
		if a.Type == "ElasticNetworkInterface" && a.Status == from {
			a.Status = to
			moved = true
		}
	}
	return moved
}
