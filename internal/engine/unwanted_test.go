package engine

import (
	"context"
	"strings"
	"testing"
)

type readOnlyFake struct{ *fakeResource }

func (readOnlyFake) ReadOnly() bool { return true }

// A resource berth.yaml no longer wants is deleted after the rest of the
// stack moved off it, dependents before what they depend on; a read-only
// one is never touched, not even by a destroy.
func TestUnwantedResourcesGoLastAndReadOnlyStay(t *testing.T) {
	ctx := context.Background()
	w := &world{objects: map[Addr]map[string]string{}}
	resources := network(w)
	cert := &fakeResource{w: w, addr: "tls.cert/main", fields: map[string]string{"name": "cert"}}
	listener := &fakeResource{w: w, addr: "lb.listener/https", deps: []Addr{cert.addr},
		fields: map[string]string{"name": "https"}, refs: map[string]Ref{"parent": {cert.addr, "id"}}}
	given := readOnlyFake{&fakeResource{w: w, addr: "tls.cert/given", fields: map[string]string{"name": "given"}}}
	w.objects[given.addr] = map[string]string{"id": "given-1", "name": "given"}
	all := append(append([]Resource{}, resources...), cert, listener, given)
	p, err := NewPlan(ctx, nil, all)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(ctx, nil, p, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}

	// The https section goes: the service changes, the listener and its
	// certificate are deleted, listener first, once the service is done.
	w.log = nil
	resources[0].(*fakeResource).fields["size"] = "3"
	drop := append(append([]Resource{}, resources...), Unwanted(cert), Unwanted(listener), given)
	p, err = NewPlan(ctx, nil, drop)
	if err != nil {
		t.Fatal(err)
	}
	got := render(t, p)
	for _, want := range []string{"~ app.service/web", "- lb.listener/https", "- tls.cert/main", "0 to create, 1 to update, 0 to replace, 2 to delete"} {
		if !strings.Contains(got, want) {
			t.Errorf("plan lacks %q:\n%s", want, got)
		}
	}
	if _, err := Apply(ctx, nil, p, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(w.log, ","); got != "update app.service/web,delete lb.listener/https,delete tls.cert/main" {
		t.Errorf("apply order: %s", got)
	}
	again, err := NewPlan(ctx, nil, drop)
	if err != nil || !again.Empty() {
		t.Fatalf("plan after dropping: %v\n%s", err, render(t, again))
	}

	destroy, err := NewDestroyPlan(ctx, nil, drop)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(ctx, nil, destroy, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.objects[given.addr]; !ok || len(w.objects) != 1 {
		t.Errorf("after destroy: %v, want only the read-only resource left", w.objects)
	}
}
