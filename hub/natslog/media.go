package natslog

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// MediaBucket is the object store of the images plans show.
const MediaBucket = "stp_media"

// Media keeps plans' images in a JetStream object store, named
// "<plan id>/<file>", so that every instance serves them and a plan's go
// with it.
type Media struct {
	os jetstream.ObjectStore
}

// ErrNoMedia: no such image.
var ErrNoMedia = errors.New("natslog: no such image")

// OpenMedia creates or opens the image store.
func OpenMedia(ctx context.Context, s *Store, replicas int) (*Media, error) {
	if replicas <= 0 {
		replicas = 1
	}
	os, err := s.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket: MediaBucket, Description: "Stoppunkt images of session plans",
		Storage: jetstream.FileStorage, Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("create object store %s: %w", MediaBucket, err)
	}
	return &Media{os: os}, nil
}

// Put stores an image of a plan under its file name.
func (m *Media) Put(ctx context.Context, planID, file string, data []byte) error {
	if _, err := m.os.PutBytes(ctx, planID+"/"+file, data); err != nil {
		return fmt.Errorf("store image: %w", err)
	}
	return nil
}

// Get returns an image of a plan.
func (m *Media) Get(ctx context.Context, planID, file string) ([]byte, error) {
	b, err := m.os.GetBytes(ctx, planID+"/"+file)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, ErrNoMedia
	}
	if err != nil {
		return nil, fmt.Errorf("read image: %w", err)
	}
	return b, nil
}

// DeletePlan deletes every image of a plan.
func (m *Media) DeletePlan(ctx context.Context, planID string) error {
	list, err := m.os.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list images: %w", err)
	}
	for _, o := range list {
		if strings.HasPrefix(o.Name, planID+"/") {
			if err := m.os.Delete(ctx, o.Name); err != nil {
				return fmt.Errorf("delete image: %w", err)
			}
		}
	}
	return nil
}
