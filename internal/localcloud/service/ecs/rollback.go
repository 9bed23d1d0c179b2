package ecs

// RollBack is the deployment circuit breaker's rollback: the failed PRIMARY
// deployment becomes ACTIVE (its tasks are replaced like any older
// deployment's) and a new PRIMARY deployment runs the task definition of the
// newest other deployment. It reports false, changing nothing, when there is
// nothing to roll back to (the service's first deployment failed). The
// caller stores svc.
func (s *State) RollBack(svc *Service, failedID string) bool {
	var previous string
	for _, d := range svc.Deployments {
		if d.Id != failedID && d.TaskDefinition != "" {
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
	svc.Deployments = append([]Deployment{s.newDeployment(svc)}, svc.Deployments...)
	return true
}
