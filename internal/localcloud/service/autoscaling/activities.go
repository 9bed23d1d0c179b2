package autoscaling

import (
	"context"
	"fmt"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/store"
)

func activityKey(a *Activity) string {
	return fmt.Sprintf("%s/%020d/%s", a.GroupName, a.StartTime.UnixNano(), a.ID)
}

func (b *Backend) putActivity(tx *store.Tx, g *Group, description, cause string) (*Activity, error) {
	now := b.now().UTC()
	a := &Activity{
		ID: store.NewUUID(), GroupName: g.Name, GroupARN: g.ARN, Description: description, Cause: cause,
		StartTime: now, EndTime: now, StatusCode: "Successful",
	}
	return a, tx.Put(tableActivities, activityKey(a), a)
}

// AddActivity records a (finished) scaling activity of a group.
func (b *Backend) AddActivity(ctx context.Context, name, description, cause string) error {
	return internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, name)
		if err != nil {
			return err
		}
		_, err = b.putActivity(tx, g, description, "At "+b.now().UTC().Format("2006-01-02T15:04:05Z")+" "+cause)
		return err
	}))
}

// Activities returns activities newest first: of one group (an unknown
// group has none), by id, and of deleted groups only when asked.
func (b *Backend) Activities(ctx context.Context, group string, ids []string, includeDeleted bool) ([]*Activity, error) {
	var out []*Activity
	err := b.store.View(ctx, func(tx *store.Tx) error {
		all, err := store.List[Activity](tx, tableActivities)
		if err != nil {
			return err
		}
		groups, err := store.List[Group](tx, tableGroups)
		if err != nil {
			return err
		}
		live := map[string]bool{}
		for _, g := range groups {
			live[g.Name+" "+g.ARN] = true
		}
		for _, a := range all {
			if group != "" && a.GroupName != group {
				continue
			}
			if len(ids) > 0 && !slices.Contains(ids, a.ID) {
				continue
			}
			if !includeDeleted && !live[a.GroupName+" "+a.GroupARN] {
				continue
			}
			out = append(out, a)
		}
		slices.SortStableFunc(out, func(x, y *Activity) int { return y.StartTime.Compare(x.StartTime) })
		return nil
	})
	return out, internalError(err)
}
