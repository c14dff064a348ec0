package hub

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stoppunkt/stoppunkt/hub/room"
	"github.com/stoppunkt/stoppunkt/hub/wire"
)

// Metrics are the hub's Prometheus collectors. Labels never carry user
// text: message types outside the protocol are counted as "unknown".
type Metrics struct {
	Connections  *prometheus.GaugeVec
	Rooms        prometheus.Gauge
	Participants prometheus.Gauge
	RoomsCreated prometheus.Counter
	RoomsDeleted prometheus.Counter
	// RoomsForgotten counts rooms whose texts were forgotten.
	RoomsForgotten prometheus.Counter
	EventsCreated  prometheus.Counter
	MessagesIn     *prometheus.CounterVec
	MessagesOut    *prometheus.CounterVec
	Errors         *prometheus.CounterVec
	RateLimited    prometheus.Counter
	SlowDropped    prometheus.Counter
	FanoutLatency  prometheus.Histogram
	ApplyDuration  prometheus.Histogram
	AppendLatency  prometheus.Histogram
	AppendErrors   prometheus.Counter
	BatchSize      prometheus.Histogram
	// FeedErrors counts errors of the instance's feed of the room log;
	// FeedStalled is 1 while the feed is stalled (readiness is false).
	FeedErrors  prometheus.Counter
	FeedStalled prometheus.Gauge
	// RetentionFailures counts rooms and events the retention sweep could
	// not delete (it tries them again on its next round).
	RetentionFailures prometheus.Counter
	// ApplyPanics counts room events skipped because applying them
	// panicked; HandlePanics counts client frames whose handling panicked.
	ApplyPanics  prometheus.Counter
	HandlePanics prometheus.Counter
}

// NewMetrics creates the collectors and registers them on reg (nil: not
// registered, for tests that do not look).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Connections:    prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "stoppunkt_connections", Help: "Open websocket connections by role (pending: before hello)."}, []string{"role"}),
		Rooms:          prometheus.NewGauge(prometheus.GaugeOpts{Name: "stoppunkt_rooms_active", Help: "Rooms followed by this instance."}),
		Participants:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "stoppunkt_participants", Help: "Active participants in the rooms this instance follows."}),
		RoomsCreated:   prometheus.NewCounter(prometheus.CounterOpts{Name: "stoppunkt_rooms_created_total", Help: "Rooms created through this instance."}),
		RoomsDeleted:   prometheus.NewCounter(prometheus.CounterOpts{Name: "stoppunkt_rooms_deleted_total", Help: "Rooms deleted through this instance (by a facilitator or by retention)."}),
		RoomsForgotten: prometheus.NewCounter(prometheus.CounterOpts{Name: "stoppunkt_rooms_forgotten_total", Help: "Ended rooms whose texts were forgotten through this instance, keeping only the report."}),
		EventsCreated:  prometheus.NewCounter(prometheus.CounterOpts{Name: "stoppunkt_events_created_total", Help: "Conference events created through this instance."}),
		MessagesIn:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stoppunkt_messages_in_total", Help: "Client frames received, by type."}, []string{"type"}),
		MessagesOut:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stoppunkt_messages_out_total", Help: "Frames queued to connections, by type."}, []string{"type"}),
		Errors:         prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stoppunkt_errors_total", Help: "Error frames sent, by code."}, []string{"code"}),
		RateLimited:    prometheus.NewCounter(prometheus.CounterOpts{Name: "stoppunkt_rate_limited_total", Help: "Frames refused by the per-connection rate limit."}),
		SlowDropped:    prometheus.NewCounter(prometheus.CounterOpts{Name: "stoppunkt_slow_disconnects_total", Help: "Connections closed because their send queue was full."}),
		FanoutLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "stoppunkt_fanout_latency_seconds", Help: "From an event's append to its frames being queued to local connections.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}),
		ApplyDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "stoppunkt_apply_duration_seconds", Help: "Time to apply one event and queue its frames.",
			Buckets: prometheus.ExponentialBuckets(0.00001, 2, 18)}),
		AppendLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "stoppunkt_jetstream_append_seconds", Help: "Latency of appends to the room log.",
			Buckets: prometheus.ExponentialBuckets(0.0002, 2, 16)}),
		AppendErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "stoppunkt_jetstream_publish_errors_total", Help: "Appends to the room log that failed."}),
		BatchSize: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "stoppunkt_input_batch_events", Help: "Participant events carried by one batched append to the room log (appends of a single event are not counted).",
			Buckets: prometheus.ExponentialBuckets(2, 2, 9)}),
		FeedErrors:        prometheus.NewCounter(prometheus.CounterOpts{Name: "stoppunkt_feed_errors_total", Help: "Errors met by this instance's feed of the room log (consumer errors, messages it could not read)."}),
		FeedStalled:       prometheus.NewGauge(prometheus.GaugeOpts{Name: "stoppunkt_feed_stalled", Help: "1 while this instance's feed of the room log holds undelivered events without delivering (readiness is false meanwhile)."}),
		RetentionFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "stoppunkt_retention_failures_total", Help: "Rooms and conference events the retention sweep could not delete; each is tried again on the next sweep."}),
		ApplyPanics:       prometheus.NewCounter(prometheus.CounterOpts{Name: "stoppunkt_apply_panics_total", Help: "Room events skipped because applying them panicked: a bug, logged with the room, event type and position."}),
		HandlePanics:      prometheus.NewCounter(prometheus.CounterOpts{Name: "stoppunkt_handle_panics_total", Help: "Client frames answered with internal because handling them panicked: a bug, logged with the frame type."}),
	}
	if reg != nil {
		reg.MustRegister(m.Connections, m.Rooms, m.Participants, m.RoomsCreated, m.RoomsDeleted, m.RoomsForgotten, m.EventsCreated, m.MessagesIn, m.MessagesOut, m.Errors,
			m.RateLimited, m.SlowDropped, m.FanoutLatency, m.ApplyDuration, m.AppendLatency, m.AppendErrors, m.BatchSize,
			m.FeedErrors, m.FeedStalled, m.RetentionFailures,
			m.ApplyPanics, m.HandlePanics)
	}
	return m
}

var knownTypes = map[string]bool{}

func init() {
	for _, t := range []string{wire.TypeHello, wire.TypePing, wire.TypeAnswer, wire.TypeLeave,
		wire.TypeNext, wire.TypeBack, wire.TypeGoto, wire.TypeOpen, wire.TypeClose, wire.TypeReveal, wire.TypeHide,
		wire.TypeTimer, wire.TypeLock, wire.TypeUnlock, wire.TypeRemove, wire.TypeEnd, wire.TypeEntry, wire.TypeSubmit,
		wire.TypeGroups, wire.TypeMove, wire.TypeMerge, wire.TypeModerate, wire.TypeShow, wire.TypeCombine,
		wire.TypeJoinPanel, wire.TypeAsk, wire.TypeVote, wire.TypeTalk, wire.TypeHandled} {
		knownTypes[t] = true
	}
}

// knownEvents are the room log's event types; logs name any other as
// "unknown".
var knownEvents = map[string]bool{}

func init() {
	for _, t := range []string{room.EvCreated, room.EvJoined, room.EvLeft, room.EvRemoved, room.EvGoto, room.EvInput,
		room.EvReveal, room.EvTimer, room.EvTimerEnd, room.EvLock, room.EvEnded, room.EvAnswer, room.EvGroups, room.EvMove,
		room.EvMerge, room.EvEntry, room.EvSubmit, room.EvModerate, room.EvShow, room.EvCombine, room.EvDeleted, room.EvForgotten,
		room.EvAnnounce, room.EvBatch, room.EvJoinPanel, room.EvAsk, room.EvVote, room.EvTalk, room.EvHandled} {
		knownEvents[t] = true
	}
}

// knownEventType is an event type as logs may show it.
func knownEventType(typ string) string {
	if !knownEvents[typ] {
		return "unknown"
	}
	return typ
}

// knownType is a frame type as metrics and logs may show it.
func knownType(typ string) string {
	if !knownTypes[typ] {
		return "unknown"
	}
	return typ
}

func (m *Metrics) in(typ string) {
	m.MessagesIn.WithLabelValues(knownType(typ)).Inc()
}

func (m *Metrics) out(typ string, n int) {
	if n > 0 {
		m.MessagesOut.WithLabelValues(typ).Add(float64(n))
	}
}
