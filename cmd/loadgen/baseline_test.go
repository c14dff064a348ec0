package main

import (
	"testing"

	"github.com/stoppunkt/stoppunkt/client/wsclient"
)

func TestBaselinePayloadIsStepShapedAndSized(t *testing.T) {
	for _, size := range []int{0, 50, 639, 4096} {
		b := baselinePayload(17, size)
		if size >= 50 && len(b) != size {
			t.Errorf("size %d: payload is %d bytes", size, len(b))
		}
		env, err := wsclient.ParseEnvelope(b)
		if err != nil || env.Type != "step" || env.Seq != 17 {
			t.Errorf("size %d: %+v %v", size, env, err)
		}
	}
}
