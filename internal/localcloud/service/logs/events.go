package logs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/berthdev/berth/internal/localcloud/service/logs/wire"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// PutLogEvents limits (AWS quotas).
const (
	maxBatchEvents     = 10000
	maxBatchBytes      = 1048576
	eventOverheadBytes = 26 // AWS counts each event as its UTF-8 message plus 26 bytes
	maxEventBytes      = 256*1024 - eventOverheadBytes
	maxBatchSpan       = 24 * time.Hour
	maxEventAge        = 14 * 24 * time.Hour
	maxEventFuture     = 2 * time.Hour
)

// storedEvent is one event as kept in a chunk. Seq orders events with equal
// timestamps by arrival and makes page tokens exact.
type storedEvent struct {
	Timestamp     int64  `json:"t"`
	IngestionTime int64  `json:"i"`
	Seq           int64  `json:"s"`
	Message       string `json:"m"`
}

type inputEvent struct {
	Timestamp int64  `json:"timestamp"`
	Message   string `json:"message"`
}

func chunkKey(stream string, n int) string { return fmt.Sprintf("%s\x00%08d", stream, n) }

type rejectedInfo struct {
	TooNewLogEventStartIndex *int32 `json:"tooNewLogEventStartIndex,omitempty"`
	TooOldLogEventEndIndex   *int32 `json:"tooOldLogEventEndIndex,omitempty"`
	ExpiredLogEventEndIndex  *int32 `json:"expiredLogEventEndIndex,omitempty"`
}

func (r *rejectedInfo) empty() bool {
	return r.TooNewLogEventStartIndex == nil && r.TooOldLogEventEndIndex == nil && r.ExpiredLogEventEndIndex == nil
}

func validateBatch(events []inputEvent) error {
	if len(events) == 0 {
		return errConstraint("[]", "logEvents", "Member must have length greater than or equal to 1")
	}
	if len(events) > maxBatchEvents {
		return errConstraint(len(events), "logEvents", "Member must have length less than or equal to 10000")
	}
	size := 0
	for i, e := range events {
		if e.Message == "" {
			return errConstraint("", fmt.Sprintf("logEvents.%d.member.message", i+1), "Member must have length greater than or equal to 1")
		}
		if i > 0 && e.Timestamp < events[i-1].Timestamp {
			return errInvalidParameter("Log events in a single PutLogEvents request must be in chronological order.")
		}
		size += len(e.Message) + eventOverheadBytes
	}
	if size > maxBatchBytes {
		return errInvalidParameter("Upload too large: %d bytes exceeds limit of %d", size, maxBatchBytes)
	}
	if events[len(events)-1].Timestamp-events[0].Timestamp > maxBatchSpan.Milliseconds() {
		return errInvalidParameter("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	}
	return nil
}

// putEvents stores a validated batch in stream, of group, with PutLogEvents'
// rules, updating stream, and reports the events it rejected for their age.
func (b *Backend) putEvents(tx *store.Tx, group *logGroup, stream *logStream, events []inputEvent) (*rejectedInfo, error) {
	now := b.now()
	rejected := &rejectedInfo{}
	// Events are sorted, so the rejected ones are a prefix (too old or
	// expired) and a suffix (too new).
	start, end := 0, len(events)
	tooOld := now.Add(-maxEventAge).UnixMilli()
	for start < end && events[start].Timestamp < tooOld {
		start++
	}
	if start > 0 {
		rejected.TooOldLogEventEndIndex = ptr(int32(start))
	}
	if group.RetentionInDays > 0 {
		expired := now.Add(-time.Duration(group.RetentionInDays) * 24 * time.Hour).UnixMilli()
		expiredEnd := start
		for expiredEnd < end && events[expiredEnd].Timestamp < expired {
			expiredEnd++
		}
		if expiredEnd > start {
			rejected.ExpiredLogEventEndIndex = ptr(int32(expiredEnd))
			start = expiredEnd
		}
	}
	tooNew := now.Add(maxEventFuture).UnixMilli()
	for end > start && events[end-1].Timestamp > tooNew {
		end--
	}
	if end < len(events) {
		rejected.TooNewLogEventStartIndex = ptr(int32(end))
	}
	if start < end {
		if err := appendToStream(tx, stream, events[start:end], now.UnixMilli()); err != nil {
			return nil, err
		}
	}
	return rejected, nil
}

func appendToStream(tx *store.Tx, stream *logStream, events []inputEvent, ingestion int64) error {
	last := stream.Chunks - 1
	var chunk []storedEvent
	if last >= 0 {
		existing, err := store.Get[[]storedEvent](tx, tableChunks, chunkKey(stream.key(), last))
		if err != nil {
			return err
		}
		if existing != nil && len(*existing) < chunkSize {
			chunk = *existing
		} else {
			last++
		}
	} else {
		last = 0
	}
	for _, e := range events {
		stream.Events++
		chunk = append(chunk, storedEvent{Timestamp: e.Timestamp, IngestionTime: ingestion, Seq: stream.Events, Message: e.Message})
		if stream.FirstEventTimestamp == 0 || e.Timestamp < stream.FirstEventTimestamp {
			stream.FirstEventTimestamp = e.Timestamp
		}
		stream.LastEventTimestamp = max(stream.LastEventTimestamp, e.Timestamp)
		stream.StoredBytes += int64(len(e.Message))
		if len(chunk) == chunkSize {
			if err := tx.Put(tableChunks, chunkKey(stream.key(), last), chunk); err != nil {
				return err
			}
			chunk, last = nil, last+1
		}
	}
	if len(chunk) > 0 {
		if err := tx.Put(tableChunks, chunkKey(stream.key(), last), chunk); err != nil {
			return err
		}
		last++
	}
	stream.Chunks = last
	stream.LastIngestionTime = ingestion
	return tx.Put(tableStreams, stream.key(), stream)
}

// streamEvents returns a stream's live events sorted by time then arrival;
// events older than the group's retention are left out (retention applies
// lazily, on read).
func streamEvents(tx *store.Tx, group *logGroup, stream *logStream, now time.Time) ([]storedEvent, error) {
	var events []storedEvent
	for n := range stream.Chunks {
		chunk, err := store.Get[[]storedEvent](tx, tableChunks, chunkKey(stream.key(), n))
		if err != nil {
			return nil, err
		}
		if chunk != nil {
			events = append(events, *chunk...)
		}
	}
	if group.RetentionInDays > 0 {
		cutoff := now.Add(-time.Duration(group.RetentionInDays) * 24 * time.Hour).UnixMilli()
		live := events[:0]
		for _, e := range events {
			if e.Timestamp >= cutoff {
				live = append(live, e)
			}
		}
		events = live
	}
	sort.SliceStable(events, func(i, j int) bool { return eventBefore(events[i], events[j]) })
	return events, nil
}

func eventBefore(a, b storedEvent) bool {
	if a.Timestamp != b.Timestamp {
		return a.Timestamp < b.Timestamp
	}
	return a.Seq < b.Seq
}

// sequenceToken is what DescribeLogStreams and PutLogEvents still report;
// AWS accepts and ignores the token on input.
func sequenceToken(s *logStream) string {
	return padded(s.Events)
}

func ptr[T any](v T) *T { return &v }

// --- PutLogEvents ---

func (b *Backend) putLogEvents(ctx context.Context, in *wire.PutLogEventsRequest) (*wire.PutLogEventsResponse, error) {
	out := &wire.PutLogEventsResponse{}
	events := inputEvents(in.LogEvents)
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		if in.LogStreamName == "" {
			return errMissing("logStreamName")
		}
		if err := validateBatch(events); err != nil {
			return err
		}
		group, err := getGroup(tx, in.LogGroupName)
		if err != nil {
			return err
		}
		stream, err := groupStream(tx, group, in.LogStreamName)
		if err != nil {
			return err
		}
		rejected, err := b.putEvents(tx, group, stream, events)
		if err != nil {
			return err
		}
		if !rejected.empty() {
			out.RejectedLogEventsInfo = rejectedOut(rejected)
		}
		out.NextSequenceToken = sequenceToken(stream)
		return nil
	})
	return out, err
}

// --- GetLogEvents ---

// A GetLogEvents token is a direction and a position between two events:
// "f/<timestamp>/<seq>" means "the events after this one", "b/…" "the
// events before it". Positions survive appends, so a forward token at the
// end of a stream picks up new events on the next call.
type position struct {
	Timestamp int64
	Seq       int64
}

func (p position) token(direction string) string {
	return direction + "/" + padded(p.Timestamp) + "/" + padded(p.Seq)
}

func parseToken(token string) (direction string, p position, err error) {
	parts := strings.Split(token, "/")
	if len(parts) != 3 || (parts[0] != "f" && parts[0] != "b") {
		return "", position{}, errInvalidParameter("The specified nextToken is invalid.")
	}
	ts, err1 := strconv.ParseInt(parts[1], 10, 64)
	seq, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return "", position{}, errInvalidParameter("The specified nextToken is invalid.")
	}
	return parts[0], position{ts, seq}, nil
}

func positionOf(e storedEvent) position { return position{e.Timestamp, e.Seq} }

func (p position) before(e storedEvent) bool {
	return p.Timestamp < e.Timestamp || (p.Timestamp == e.Timestamp && p.Seq < e.Seq)
}

func (b *Backend) getLogEvents(ctx context.Context, in *wire.GetLogEventsRequest) (*wire.GetLogEventsResponse, error) {
	groupName, err := groupNameFrom(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	limit, err := pageLimit(int32Ptr(in.Limit), 10000)
	if err != nil {
		return nil, err
	}
	direction, from := "", position{}
	if in.NextToken != "" {
		if direction, from, err = parseToken(in.NextToken); err != nil {
			return nil, err
		}
	}
	var events []storedEvent
	err = b.store.View(ctx, func(tx *store.Tx) error {
		group, err := getGroup(tx, groupName)
		if err != nil {
			return err
		}
		stream, err := groupStream(tx, group, in.LogStreamName)
		if err != nil {
			return err
		}
		events, err = streamEvents(tx, group, stream, b.now())
		return err
	})
	if err != nil {
		return nil, err
	}
	events = inTimeRange(events, int64Ptr(in.StartTime), int64Ptr(in.EndTime))

	// lo..hi is the window of events the page is cut from.
	lo, hi := 0, len(events)
	forward := in.StartFromHead != nil && *in.StartFromHead
	switch direction {
	case "f":
		forward = true
		lo = sort.Search(len(events), func(i int) bool { return from.before(events[i]) })
	case "b":
		forward = false
		// hi is the first event not strictly before the token's position.
		hi = sort.Search(len(events), func(i int) bool {
			return !eventBefore(events[i], storedEvent{Timestamp: from.Timestamp, Seq: from.Seq})
		})
	}
	if forward {
		hi = min(hi, lo+limit)
	} else {
		lo = max(lo, hi-limit)
	}
	out := &wire.GetLogEventsResponse{Events: make([]wire.OutputLogEvent, 0, hi-lo)}
	for _, e := range events[lo:hi] {
		out.Events = append(out.Events, wire.OutputLogEvent{Timestamp: num(e.Timestamp), Message: e.Message, IngestionTime: num(e.IngestionTime)})
	}
	// With an empty page the tokens stay where the caller was, which makes
	// the forward token repeat at the end of a stream, as AWS's does.
	var forwardPos, backwardPos position
	switch {
	case hi > lo:
		forwardPos, backwardPos = positionOf(events[hi-1]), positionOf(events[lo])
	case direction == "f":
		forwardPos, backwardPos = from, position{from.Timestamp, from.Seq + 1}
	case direction == "b":
		forwardPos, backwardPos = position{from.Timestamp, from.Seq - 1}, from
	}
	out.NextForwardToken = forwardPos.token("f")
	out.NextBackwardToken = backwardPos.token("b")
	return out, nil
}

func inTimeRange(events []storedEvent, startTime, endTime *int64) []storedEvent {
	if startTime == nil && endTime == nil {
		return events
	}
	out := events[:0:0]
	for _, e := range events {
		if startTime != nil && e.Timestamp < *startTime {
			continue
		}
		if endTime != nil && e.Timestamp >= *endTime {
			continue
		}
		out = append(out, e)
	}
	return out
}

// --- FilterLogEvents ---

// filterCursor is the FilterLogEvents page token: the last event returned,
// in the (timestamp, stream, seq) order the results come in.
type filterCursor struct {
	Timestamp int64  `json:"t"`
	Stream    string `json:"s"`
	Seq       int64  `json:"q"`
}

type streamEvent struct {
	stream string
	storedEvent
}

func (c filterCursor) before(e streamEvent) bool {
	if c.Timestamp != e.Timestamp {
		return c.Timestamp < e.Timestamp
	}
	if c.Stream != e.stream {
		return c.Stream < e.stream
	}
	return c.Seq < e.Seq
}

func (b *Backend) filterLogEvents(ctx context.Context, in *wire.FilterLogEventsRequest) (*wire.FilterLogEventsResponse, error) {
	groupName, err := groupNameFrom(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if len(in.LogStreamNames) > 0 && in.LogStreamNamePrefix != "" {
		return nil, errInvalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
	}
	limit, err := pageLimit(int32Ptr(in.Limit), 10000)
	if err != nil {
		return nil, err
	}
	matches, err := compileFilterPattern(in.FilterPattern)
	if err != nil {
		return nil, err
	}
	var cursor *filterCursor
	if in.NextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		cursor = &filterCursor{}
		if err != nil || json.Unmarshal(raw, cursor) != nil {
			return nil, errInvalidParameter("The specified nextToken is invalid.")
		}
	}
	out := &wire.FilterLogEventsResponse{Events: []wire.FilteredLogEvent{}, SearchedLogStreams: []wire.SearchedLogStream{}}
	var all []streamEvent
	err = b.store.View(ctx, func(tx *store.Tx) error {
		group, err := getGroup(tx, groupName)
		if err != nil {
			return err
		}
		streams, err := groupStreams(tx, groupName)
		if err != nil {
			return err
		}
		wanted := map[string]bool{}
		for _, name := range in.LogStreamNames {
			wanted[name] = true
		}
		for _, s := range streams {
			if (len(wanted) > 0 && !wanted[s.Name]) || !strings.HasPrefix(s.Name, in.LogStreamNamePrefix) {
				continue
			}
			out.SearchedLogStreams = append(out.SearchedLogStreams, wire.SearchedLogStream{LogStreamName: s.Name, SearchedCompletely: ptr(true)})
			events, err := streamEvents(tx, group, s, b.now())
			if err != nil {
				return err
			}
			for _, e := range inTimeRange(events, int64Ptr(in.StartTime), int64Ptr(in.EndTime)) {
				if matches(e.Message) {
					all = append(all, streamEvent{s.Name, e})
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		return filterCursor{a.Timestamp, a.stream, a.Seq}.before(b)
	})
	start := 0
	if cursor != nil {
		start = sort.Search(len(all), func(i int) bool { return cursor.before(all[i]) })
	}
	end := min(start+limit, len(all))
	for _, e := range all[start:end] {
		out.Events = append(out.Events, wire.FilteredLogEvent{
			LogStreamName: e.stream,
			Timestamp:     num(e.Timestamp),
			Message:       e.Message,
			IngestionTime: num(e.IngestionTime),
			EventId:       eventID(e),
		})
	}
	if end < len(all) && end > start {
		last := all[end-1]
		raw, _ := json.Marshal(filterCursor{last.Timestamp, last.stream, last.Seq})
		out.NextToken = base64.RawURLEncoding.EncodeToString(raw)
	}
	return out, nil
}

// eventID is unique and stable per event: clients such as `aws logs tail
// --follow` use it to drop events they have already printed.
func eventID(e streamEvent) string {
	return padded(e.Timestamp) + base64.RawURLEncoding.EncodeToString([]byte(e.stream)) + padded(e.Seq)
}
