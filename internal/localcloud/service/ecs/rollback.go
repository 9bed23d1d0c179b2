package ecs

// RollBack is the deployment circuit breaker's rollback: the failed PRIMARY
// deployment becomes ACTIVE (its tasks are replaced like any older
// deployment's) and a new PRIMARY deployment runs the task definition of the
// newest other deployment that COMPLETED, as ECS does. It reports false,
// changing nothing, when there is none to roll back to (the service's first
// deployment failed, or every earlier one failed too). The caller stores
// svc.
func (s *State) RollBack(svc *Service, failedID string) bool {
	var previous string
	for _, d := range svc.Deployments {
		if d.Id != failedID && d.TaskDefinition != "" && d.RolloutState == rolloutCompleted {
			previous = d.TaskDefinition
			break // newest first
		}
	}
	if previous == "" {
		return false
	}
	for i := range svc.Deployments {
		if svc.Deployments[i].Id == failedID {
			svc.Deployments[i].Status = deploymentActive
		}
	}
	svc.TaskDefinition = previous
	rollback := s.newDeployment(svc)
	svc.Deployments = append([]Deployment{rollback}, svc.Deployments...)
	// The rollback belongs to the failed service deployment, not a new one.
	// A write failure here surfaces when the caller stores svc in the
	// same transaction.
	if err := s.tx.Put(tableRollbacks, rollback.Id, failedID); err != nil {
		s.deferred = err
	}
	return true
}

// rolloutCompleted marks a deployment that reached steady state, the only
// kind a rollback returns to.
const rolloutCompleted = "COMPLETED"
