package natslog

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// PlansBucket holds uploaded session plans as their YAML source, by id.
const PlansBucket = "stp_plans"

// Plans stores uploaded plans in a key-value bucket that every instance
// watches, so a plan uploaded through one instance is offered by all.
type Plans struct {
	kv jetstream.KeyValue
}

// OpenPlans creates or opens the plans bucket.
func OpenPlans(ctx context.Context, s *Store, replicas int) (*Plans, error) {
	kv, err := s.planBucket(ctx, PlansBucket, "Stoppunkt uploaded session plans (YAML)", replicas)
	if err != nil {
		return nil, err
	}
	return &Plans{kv: kv}, nil
}

// planBucket creates or opens a bucket of plans: no history, values up to
// 512 KiB, on files.
func (s *Store) planBucket(ctx context.Context, name, desc string, replicas int) (jetstream.KeyValue, error) {
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: name, Description: desc, History: 1,
		Storage: jetstream.FileStorage, Replicas: max(replicas, 1), MaxValueSize: 512 << 10,
	})
	if err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", name, err)
	}
	return kv, nil
}

// Save stores a plan's source under its id.
func (p *Plans) Save(ctx context.Context, id string, source []byte) error {
	if _, err := p.kv.Put(ctx, id, source); err != nil {
		return fmt.Errorf("save plan: %w", err)
	}
	return nil
}

// Delete removes a stored plan, leaving no history; every instance's
// watch drops it.
func (p *Plans) Delete(ctx context.Context, id string) error {
	if err := p.kv.Purge(ctx, id); err != nil {
		return fmt.Errorf("delete plan: %w", err)
	}
	return nil
}

// Watch calls fn for every stored plan and then for every change, until
// ctx ends. A nil source means the plan was removed.
func (p *Plans) Watch(ctx context.Context, fn func(id string, source []byte)) error {
	w, err := p.kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("watch plans: %w", err)
	}
	go func() {
		defer w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil {
					continue // end of the initial values
				}
				if e.Operation() != jetstream.KeyValuePut {
					fn(e.Key(), nil)
					continue
				}
				fn(e.Key(), e.Value())
			}
		}
	}()
	return nil
}
