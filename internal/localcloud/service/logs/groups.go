package logs

import (
	"context"
	"github.com/berthdev/berth/internal/localcloud/service/logs/wire"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// logGroup is a stored log group.
type logGroup struct {
	Name               string            `json:"name"`
	CreationTime       int64             `json:"creationTime"` // epoch milliseconds, as Logs reports it
	RetentionInDays    int32             `json:"retentionInDays,omitempty"`
	KmsKeyID           string            `json:"kmsKeyId,omitempty"`
	Class              string            `json:"class"`
	DeletionProtection bool              `json:"deletionProtection,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
}

// arn is the log group's ARN without the ":*" suffix (logGroupArn, tagging).
func (g *logGroup) arn(scope store.Scope) string {
	return scope.ARN("logs", "log-group:"+g.Name)
}

var groupNamePattern = regexp.MustCompile(`^[.\-_/#A-Za-z0-9]+$`)

func validateGroupName(name string) error {
	switch {
	case name == "":
		return errMissing("logGroupName")
	case len(name) > 512:
		return errConstraint(name, "logGroupName", "Member must have length less than or equal to 512")
	case !groupNamePattern.MatchString(name):
		return errConstraint(name, "logGroupName", `Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`)
	}
	return nil
}

// retentionDays are the only retention periods AWS accepts.
var retentionDays = []int32{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// logGroupClasses are the classes CreateLogGroup accepts.
var logGroupClasses = []string{"STANDARD", "INFREQUENT_ACCESS", "DELIVERY"}

type createGroupOptions struct {
	KmsKeyID           string
	Class              string
	DeletionProtection bool
	Tags               map[string]string
}

func createGroup(tx *store.Tx, name string, opts createGroupOptions, now time.Time) error {
	if err := validateGroupName(name); err != nil {
		return err
	}
	class := opts.Class
	if class == "" {
		class = "STANDARD"
	}
	if !slices.Contains(logGroupClasses, class) {
		return errConstraint(class, "logGroupClass", "Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]")
	}
	if err := validateTags(opts.Tags); err != nil {
		return err
	}
	existing, err := store.Get[logGroup](tx, tableGroups, name)
	if err != nil {
		return err
	}
	if existing != nil {
		return errGroupExists()
	}
	return tx.Put(tableGroups, name, &logGroup{
		Name:               name,
		CreationTime:       now.UnixMilli(),
		KmsKeyID:           opts.KmsKeyID,
		Class:              class,
		DeletionProtection: opts.DeletionProtection,
		Tags:               opts.Tags,
	})
}

func getGroup(tx *store.Tx, name string) (*logGroup, error) {
	if name == "" {
		return nil, errMissing("logGroupName")
	}
	g, err := store.Get[logGroup](tx, tableGroups, name)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, errGroupNotFound()
	}
	return g, nil
}

// groupNameFrom resolves logGroupName or logGroupIdentifier (a name or an
// ARN, with or without ":*"); giving both is an error, as in AWS.
func groupNameFrom(name, identifier string) (string, error) {
	switch {
	case name != "" && identifier != "":
		return "", errInvalidParameter("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
	case identifier == "":
		return name, nil
	}
	if !strings.HasPrefix(identifier, "arn:") {
		return identifier, nil
	}
	_, rest, ok := strings.Cut(identifier, ":log-group:")
	if !ok {
		return "", errInvalidParameter("Invalid log group identifier %s", identifier)
	}
	return strings.TrimSuffix(rest, ":*"), nil
}

func (b *Backend) deleteGroup(tx *store.Tx, name string) error {
	g, err := getGroup(tx, name)
	if err != nil {
		return err
	}
	if g.DeletionProtection {
		return protocol.Errorf("OperationAbortedException", "Log group %s has deletion protection enabled", name)
	}
	streams, err := groupStreams(tx, name)
	if err != nil {
		return err
	}
	for _, s := range streams {
		if err := deleteStreamData(tx, s); err != nil {
			return err
		}
	}
	return tx.Delete(tableGroups, name)
}

// --- wire ---

func (b *Backend) createLogGroup(ctx context.Context, in *wire.CreateLogGroupRequest) (*struct{}, error) {
	opts := createGroupOptions{KmsKeyID: in.KmsKeyId, Class: in.LogGroupClass, DeletionProtection: in.DeletionProtectionEnabled != nil && *in.DeletionProtectionEnabled, Tags: in.Tags}
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		return createGroup(tx, in.LogGroupName, opts, b.now())
	})
}

func (b *Backend) deleteLogGroup(ctx context.Context, in *wire.DeleteLogGroupRequest) (*struct{}, error) {
	return nil, b.store.Update(ctx, func(tx *store.Tx) error { return b.deleteGroup(tx, in.LogGroupName) })
}

func (b *Backend) describeLogGroups(ctx context.Context, in *wire.DescribeLogGroupsRequest) (*wire.DescribeLogGroupsResponse, error) {
	if in.LogGroupNamePrefix != "" && in.LogGroupNamePattern != "" {
		return nil, errInvalidParameter("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	if (in.LogGroupNamePrefix != "" || in.LogGroupNamePattern != "") && len(in.LogGroupIdentifiers) > 0 {
		return nil, errInvalidParameter("LogGroup identifiers are mutually exclusive with LogGroup name prefix and pattern.")
	}
	limit, err := pageLimit(int32Ptr(in.Limit), 50)
	if err != nil {
		return nil, err
	}
	wanted := map[string]bool{}
	for _, id := range in.LogGroupIdentifiers {
		name, err := groupNameFrom("", id)
		if err != nil {
			return nil, err
		}
		wanted[name] = true
	}
	out := &wire.DescribeLogGroupsResponse{LogGroups: []wire.LogGroup{}}
	err = b.store.View(ctx, func(tx *store.Tx) error {
		groups, err := store.List[logGroup](tx, tableGroups)
		if err != nil {
			return err
		}
		streams, err := store.List[logStream](tx, tableStreams)
		if err != nil {
			return err
		}
		storedBytes := map[string]int64{}
		for _, s := range streams {
			storedBytes[s.Group] += s.StoredBytes
		}
		var matched []*logGroup
		for _, g := range groups {
			switch {
			case !strings.HasPrefix(g.Name, in.LogGroupNamePrefix),
				in.LogGroupNamePattern != "" && !strings.Contains(strings.ToLower(g.Name), strings.ToLower(in.LogGroupNamePattern)),
				len(wanted) > 0 && !wanted[g.Name],
				in.LogGroupClass != "" && g.Class != in.LogGroupClass:
				continue
			}
			matched = append(matched, g)
		}
		groupsPage, next, err := page(matched, func(g *logGroup) string { return g.Name }, in.NextToken, limit)
		if err != nil {
			return err
		}
		for _, g := range groupsPage {
			shape := wire.LogGroup{
				LogGroupName:              g.Name,
				CreationTime:              num(g.CreationTime),
				MetricFilterCount:         num(int32(0)),
				Arn:                       g.arn(tx.Scope()) + ":*",
				LogGroupArn:               g.arn(tx.Scope()),
				StoredBytes:               num(storedBytes[g.Name]),
				KmsKeyId:                  g.KmsKeyID,
				LogGroupClass:             g.Class,
				DeletionProtectionEnabled: ptr(g.DeletionProtection),
			}
			if g.RetentionInDays != 0 {
				shape.RetentionInDays = num(g.RetentionInDays)
			}
			out.LogGroups = append(out.LogGroups, shape)
		}
		out.NextToken = next
		return nil
	})
	return out, err
}

func (b *Backend) putRetentionPolicy(ctx context.Context, in *wire.PutRetentionPolicyRequest) (*struct{}, error) {
	if in.RetentionInDays == nil {
		return nil, errMissing("retentionInDays")
	}
	days := int32(*in.RetentionInDays)
	if !slices.Contains(retentionDays, days) {
		return nil, errConstraint(days, "retentionInDays", "Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]")
	}
	return nil, b.updateGroup(ctx, in.LogGroupName, func(g *logGroup) error {
		g.RetentionInDays = days
		return nil
	})
}

func (b *Backend) deleteRetentionPolicy(ctx context.Context, in *wire.DeleteRetentionPolicyRequest) (*struct{}, error) {
	return nil, b.updateGroup(ctx, in.LogGroupName, func(g *logGroup) error {
		g.RetentionInDays = 0
		return nil
	})
}

func (b *Backend) updateGroup(ctx context.Context, name string, change func(*logGroup) error) error {
	return b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, name)
		if err != nil {
			return err
		}
		if err := change(g); err != nil {
			return err
		}
		return tx.Put(tableGroups, name, g)
	})
}

// pageLimit checks a Logs "limit" member (1..max) and applies its default.
func pageLimit(limit *int32, max int32) (int, error) {
	if limit == nil {
		return int(max), nil
	}
	if *limit < 1 {
		return 0, errConstraint(*limit, "limit", "Member must have value greater than or equal to 1")
	}
	if *limit > max {
		return 0, errConstraint(*limit, "limit", "Member must have value less than or equal to "+itoa(max))
	}
	return int(*limit), nil
}
