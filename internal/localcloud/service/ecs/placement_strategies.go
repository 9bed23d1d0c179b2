package ecs

import "strings"

// validateStrategy checks one placement strategy as ECS does: spread
// needs a field naming the instance (instanceId, host) or one of its
// attributes, binpack the resource it packs by (cpu or memory, in any
// case), random takes no field worth checking.
func validateStrategy(st PlacementStrategy) error {
	switch st.Type {
	case "random":
		return nil
	case "spread":
		field := st.Field
		switch {
		case field == "":
			return errInvalidParameter("Field must be specified for spread placement strategy.")
		case strings.EqualFold(field, "instanceId"), strings.EqualFold(field, "host"):
			return nil
		case strings.HasPrefix(field, "attribute:") && len(field) > len("attribute:"):
			return nil
		}
		return errInvalidParameter("Invalid field for spread placement strategy: %s. Use instanceId, host or attribute:<name>.", field)
	case "binpack":
		if !strings.EqualFold(st.Field, "cpu") && !strings.EqualFold(st.Field, "memory") {
			return errInvalidParameter("Invalid field for binpack placement strategy: %s. Use cpu or memory.", st.Field)
		}
		return nil
	}
	return errInvalidParameter("Invalid placement strategy type: %s.", st.Type)
}
