package sso

import (
	"context"
)

// VerifyForTest checks a raw ID token as Finish does.
func VerifyForTest(ctx context.Context, s *Set, id, raw, nonce string) (*Identity, error) {
	e, err := s.find(id)
	if err != nil {
		return nil, err
	}
	p, err := s.provider(ctx, e)
	if err != nil {
		return nil, err
	}
	return s.verify(ctx, e, p, raw, nonce, nil)
}

// CaptureForTest has Finish hand every raw ID token to fn.
func CaptureForTest(s *Set, fn func(raw string)) { s.capture = fn }
