package logs

import (
	"context"
	"github.com/berthdev/berth/internal/localcloud/service/logs/wire"
	"sort"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// logStream is a stored log stream; its events live in numbered chunks.
type logStream struct {
	Group               string `json:"group"`
	Name                string `json:"name"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp int64  `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  int64  `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   int64  `json:"lastIngestionTime,omitempty"`
	StoredBytes         int64  `json:"storedBytes"`
	Chunks              int    `json:"chunks"`
	Events              int64  `json:"events"` // also the last sequence number given out
}

func newLogStream(group, name string, now time.Time) *logStream {
	return &logStream{Group: group, Name: name, CreationTime: now.UnixMilli()}
}

func (s *logStream) key() string { return streamKey(s.Group, s.Name) }

func (s *logStream) arn(scope store.Scope) string {
	return scope.ARN("logs", "log-group:"+s.Group+":log-stream:"+s.Name)
}

func streamKey(group, stream string) string {
	return group + "\x00" + stream
}

func validateStreamName(name string) error {
	switch {
	case name == "":
		return errMissing("logStreamName")
	case len(name) > 512:
		return errConstraint(name, "logStreamName", "Member must have length less than or equal to 512")
	case strings.ContainsAny(name, ":*"):
		return errConstraint(name, "logStreamName", "Member must satisfy regular expression pattern: [^:*]*")
	}
	return nil
}

func getStream(tx *store.Tx, group, name string) (*logStream, error) {
	g, err := getGroup(tx, group)
	if err != nil {
		return nil, err
	}
	return groupStream(tx, g, name)
}

// groupStream is getStream for a group already loaded.
func groupStream(tx *store.Tx, group *logGroup, name string) (*logStream, error) {
	if name == "" {
		return nil, errMissing("logStreamName")
	}
	s, err := store.Get[logStream](tx, tableStreams, streamKey(group.Name, name))
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, errStreamNotFound()
	}
	return s, nil
}

// groupStreams returns a group's streams sorted by name.
func groupStreams(tx *store.Tx, group string) ([]*logStream, error) {
	all, err := store.List[logStream](tx, tableStreams)
	if err != nil {
		return nil, err
	}
	var out []*logStream
	for _, s := range all {
		if s.Group == group {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func deleteStreamData(tx *store.Tx, s *logStream) error {
	for n := range s.Chunks {
		if err := tx.Delete(tableChunks, chunkKey(s.key(), n)); err != nil {
			return err
		}
	}
	return tx.Delete(tableStreams, s.key())
}

// --- wire ---

func (b *Backend) createLogStream(ctx context.Context, in *wire.CreateLogStreamRequest) (*struct{}, error) {
	if err := validateStreamName(in.LogStreamName); err != nil {
		return nil, err
	}
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		if _, err := getGroup(tx, in.LogGroupName); err != nil {
			return err
		}
		key := streamKey(in.LogGroupName, in.LogStreamName)
		existing, err := store.Get[logStream](tx, tableStreams, key)
		if err != nil {
			return err
		}
		if existing != nil {
			return errStreamExists()
		}
		return tx.Put(tableStreams, key, newLogStream(in.LogGroupName, in.LogStreamName, b.now()))
	})
}

func (b *Backend) deleteLogStream(ctx context.Context, in *wire.DeleteLogStreamRequest) (*struct{}, error) {
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		s, err := getStream(tx, in.LogGroupName, in.LogStreamName)
		if err != nil {
			return err
		}
		return deleteStreamData(tx, s)
	})
}

func (b *Backend) describeLogStreams(ctx context.Context, in *wire.DescribeLogStreamsRequest) (*wire.DescribeLogStreamsResponse, error) {
	descending := in.Descending != nil && *in.Descending
	group, err := groupNameFrom(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	orderBy := in.OrderBy
	switch orderBy {
	case "":
		orderBy = "LogStreamName"
	case "LogStreamName", "LastEventTime":
	default:
		return nil, errConstraint(orderBy, "orderBy", "Member must satisfy enum value set: [LogStreamName, LastEventTime]")
	}
	if orderBy == "LastEventTime" && in.LogStreamNamePrefix != "" {
		return nil, errInvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
	}
	limit, err := pageLimit(int32Ptr(in.Limit), 50)
	if err != nil {
		return nil, err
	}
	out := &wire.DescribeLogStreamsResponse{LogStreams: []wire.LogStream{}}
	err = b.store.View(ctx, func(tx *store.Tx) error {
		if _, err := getGroup(tx, group); err != nil {
			return err
		}
		streams, err := groupStreams(tx, group)
		if err != nil {
			return err
		}
		var matched []*logStream
		for _, s := range streams {
			if strings.HasPrefix(s.Name, in.LogStreamNamePrefix) {
				matched = append(matched, s)
			}
		}
		// The sort key doubles as the page token: it orders the streams, and a
		// token is the last key returned.
		sortKey := func(s *logStream) string { return s.Name }
		if orderBy == "LastEventTime" {
			sortKey = func(s *logStream) string { return lastEventSortKey(s, descending) }
		} else if descending {
			sortKey = func(s *logStream) string { return invert(s.Name) }
		}
		streamsPage, next, err := page(matched, sortKey, in.NextToken, limit)
		if err != nil {
			return err
		}
		for _, s := range streamsPage {
			out.LogStreams = append(out.LogStreams, streamShape(s, tx.Scope()))
		}
		out.NextToken = next
		return nil
	})
	return out, err
}

func streamShape(s *logStream, scope store.Scope) wire.LogStream {
	shape := wire.LogStream{
		LogStreamName:       s.Name,
		CreationTime:        num(s.CreationTime),
		UploadSequenceToken: sequenceToken(s),
		Arn:                 s.arn(scope),
		StoredBytes:         num(s.StoredBytes),
	}
	if s.Events > 0 {
		shape.FirstEventTimestamp, shape.LastEventTimestamp, shape.LastIngestionTime = num(s.FirstEventTimestamp), num(s.LastEventTimestamp), num(s.LastIngestionTime)
	}
	return shape
}

// lastEventSortKey orders streams by last event time (streams without events
// first), then name; descending inverts the whole key.
func lastEventSortKey(s *logStream, descending bool) string {
	key := padded(s.LastEventTimestamp) + "\x00" + s.Name
	if descending {
		return invert(key)
	}
	return key
}

func padded(n int64) string {
	const width = 20
	digits := itoa(n)
	return strings.Repeat("0", max(0, width-len(digits))) + digits
}

// invert maps a string to one that sorts in the reverse order for strings of
// the same structure, so descending pages can reuse the ascending token logic.
func invert(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] = 0xff - b[i]
	}
	return string(b) + "\xff"
}
