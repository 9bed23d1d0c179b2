package logs

import "github.com/berthdev/berth/internal/localcloud/service/logs/wire"

// Conversions to and from the wire shapes generated from AWS's model
// (package wire): Logs' records keep their own types.

func num[T ~int32 | ~int64](v T) *int { n := int(v); return &n }

// int32Ptr and int64Ptr read a request's integer member.
func int32Ptr(p *int) *int32 {
	if p == nil {
		return nil
	}
	v := int32(*p)
	return &v
}

func int64Ptr(p *int) *int64 {
	if p == nil {
		return nil
	}
	v := int64(*p)
	return &v
}

func inputEvents(events []wire.InputLogEvent) []inputEvent {
	out := make([]inputEvent, len(events))
	for i, e := range events {
		out[i] = inputEvent{Message: e.Message}
		if e.Timestamp != nil {
			out[i].Timestamp = int64(*e.Timestamp)
		}
	}
	return out
}

func rejectedOut(r *rejectedInfo) *wire.RejectedLogEventsInfo {
	return &wire.RejectedLogEventsInfo{
		TooNewLogEventStartIndex: intPtr(r.TooNewLogEventStartIndex),
		TooOldLogEventEndIndex:   intPtr(r.TooOldLogEventEndIndex),
		ExpiredLogEventEndIndex:  intPtr(r.ExpiredLogEventEndIndex),
	}
}

func intPtr(p *int32) *int {
	if p == nil {
		return nil
	}
	return num(*p)
}
