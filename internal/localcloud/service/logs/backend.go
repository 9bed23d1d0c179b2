// Package logs is the local cloud's CloudWatch Logs: log groups, streams and
// their events, kept in the store. The data plane ships task output here
// through Append, the same code path PutLogEvents takes.
package logs

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Tables (of the call's account and region, as every table is).
const (
	tableGroups  = "logs/groups"  // group
	tableStreams = "logs/streams" // group \x00 stream
	tableChunks  = "logs/chunks"  // stream key \x00 chunk number: events in arrival order
)

// chunkSize bounds one stored value: appends rewrite only the last chunk,
// reads fetch a stream's chunks by number without scanning other streams.
const chunkSize = 500

// Backend holds CloudWatch Logs' state in the store and its rules.
type Backend struct {
	store *store.Store
	now   func() time.Time
}

// New returns the service's backend over st.
func New(st *store.Store) *Backend {
	return &Backend{store: st, now: time.Now}
}

// Service returns the service's operation table for the router.
func (b *Backend) Service() *protocol.Service {
	return &protocol.Service{
		SigningName:  "logs",
		TargetPrefix: "Logs_20140328",
		Codec:        awsjson.Codec{},
		// CloudWatch Logs reports "1 validation error detected: …" as
		// InvalidParameterException.
		ValidationCode: "InvalidParameterException",
		Operations: []protocol.Operation{
			protocol.Op("CreateLogGroup", b.createLogGroup),
			protocol.Op("DeleteLogGroup", b.deleteLogGroup),
			protocol.Op("DescribeLogGroups", b.describeLogGroups),
			protocol.Op("PutRetentionPolicy", b.putRetentionPolicy),
			protocol.Op("DeleteRetentionPolicy", b.deleteRetentionPolicy),
			protocol.Op("CreateLogStream", b.createLogStream),
			protocol.Op("DeleteLogStream", b.deleteLogStream),
			protocol.Op("DescribeLogStreams", b.describeLogStreams),
			protocol.Op("PutLogEvents", b.putLogEvents),
			protocol.Op("GetLogEvents", b.getLogEvents),
			protocol.Op("FilterLogEvents", b.filterLogEvents),
			protocol.Op("TagResource", b.tagResource),
			protocol.Op("UntagResource", b.untagResource),
			protocol.Op("ListTagsForResource", b.listTagsForResource),
			protocol.Op("TagLogGroup", b.tagLogGroup),
			protocol.Op("UntagLogGroup", b.untagLogGroup),
			protocol.Op("ListTagsLogGroup", b.listTagsLogGroup),
		},
	}
}

// Event is one line of output as the data plane hands it over.
type Event struct {
	Time    time.Time
	Message string
}

// Append stores events in group/stream, creating the stream when it is
// missing, with PutLogEvents' rules: events outside the accepted time window
// are dropped the way PutLogEvents reports them rejected. A missing group is
// the AWS ResourceNotFoundException, as the awslogs driver sees it. The
// group is the one in ctx's account and region.
func (b *Backend) Append(ctx context.Context, group, stream string, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	input := make([]inputEvent, 0, len(events))
	for _, e := range events {
		msg := e.Message
		if msg == "" {
			msg = " " // AWS rejects empty messages; the driver sends blank lines as a space too
		}
		if len(msg) > maxEventBytes {
			msg = msg[:maxEventBytes]
		}
		input = append(input, inputEvent{Timestamp: e.Time.UnixMilli(), Message: msg})
	}
	// The driver sorts a batch before sending it; chronological order is a
	// PutLogEvents requirement, and stable sorting keeps equal stamps in order.
	sort.SliceStable(input, func(i, j int) bool { return input[i].Timestamp < input[j].Timestamp })
	for _, batch := range splitBatches(input) {
		err := b.store.Update(ctx, func(tx *store.Tx) error {
			g, err := getGroup(tx, group)
			if err != nil {
				return err
			}
			s, err := store.Get[logStream](tx, tableStreams, streamKey(group, stream))
			if err != nil {
				return err
			}
			if s == nil {
				if err := validateStreamName(stream); err != nil {
					return err
				}
				s = newLogStream(group, stream, b.now())
				// Stored now: the stream exists even when every event is rejected.
				if err := tx.Put(tableStreams, s.key(), s); err != nil {
					return err
				}
			}
			if err := validateBatch(batch); err != nil {
				return err
			}
			_, err = b.putEvents(tx, g, s, batch)
			return err
		})
		if err != nil {
			return fmt.Errorf("appending to %s/%s: %w", group, stream, err)
		}
	}
	return nil
}

// CreateGroupIfMissing creates the log group unless it exists, for tasks whose
// log configuration sets awslogs-create-group=true.
func (b *Backend) CreateGroupIfMissing(ctx context.Context, group string) error {
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		return createGroup(tx, group, createGroupOptions{}, b.now())
	})
	var apiErr *protocol.Error
	if errors.As(err, &apiErr) && apiErr.Code == "ResourceAlreadyExistsException" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating log group %s: %w", group, err)
	}
	return nil
}

// splitBatches cuts sorted events into batches within PutLogEvents' count,
// size and 24-hour span limits.
func splitBatches(events []inputEvent) [][]inputEvent {
	var batches [][]inputEvent
	start, size := 0, 0
	for i, e := range events {
		eventSize := len(e.Message) + eventOverheadBytes
		full := i-start >= maxBatchEvents || size+eventSize > maxBatchBytes ||
			e.Timestamp-events[start].Timestamp > maxBatchSpan.Milliseconds()
		if full && i > start {
			batches = append(batches, events[start:i])
			start, size = i, 0
		}
		size += eventSize
	}
	return append(batches, events[start:])
}
