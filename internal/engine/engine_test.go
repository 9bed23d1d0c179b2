package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// world is an in-memory store standing in for a cloud, so the engine's
// ordering, reference and failure rules can be tested without one.
type world struct {
	mu      sync.Mutex
	objects map[Addr]map[string]string
	nextID  int
	log     []string
}

func (w *world) record(entry string) {
	w.log = append(w.log, entry)
}

// fakeResource wants an object with fields; values may reference another
// resource's "id" output through refs.
type fakeResource struct {
	w       *world
	addr    Addr
	deps    []Addr
	fields  map[string]string
	refs    map[string]Ref
	failing bool
}

func (f *fakeResource) Addr() Addr        { return f.addr }
func (f *fakeResource) DependsOn() []Addr { return f.deps }

func (f *fakeResource) Observe(_ context.Context, _ *Clients, _ *Inputs) (*Observed, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	obj, ok := f.w.objects[f.addr]
	if !ok {
		return nil, nil
	}
	return &Observed{Outputs: Outputs{"id": obj["id"]}, State: obj}, nil
}

func (f *fakeResource) desired(in *Inputs) map[string]string {
	want := map[string]string{}
	for k, v := range f.fields {
		want[k] = v
	}
	for k, ref := range f.refs {
		want[k] = in.Show(ref)
	}
	return want
}

func (f *fakeResource) Diff(in *Inputs, actual *Observed) ([]FieldChange, Action) {
	changes := NewChanges(actual)
	var state map[string]string
	if actual != nil {
		state = actual.State.(map[string]string)
	}
	want := f.desired(in)
	for _, k := range []string{"name", "size", "parent"} {
		if k == "name" {
			changes.ForceNew(k, state[k], want[k])
		} else {
			changes.Field(k, state[k], want[k])
		}
	}
	return changes.Result()
}

func (f *fakeResource) Apply(ctx context.Context, _ *Clients, in *Inputs, actual *Observed) (Outputs, error) {
	if f.failing {
		return nil, errors.New("quota exceeded")
	}
	Progress(ctx, "working on %s", f.addr)
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	obj := map[string]string{}
	for k, v := range f.fields {
		obj[k] = v
	}
	for k, ref := range f.refs {
		v, err := in.Get(ref)
		if err != nil {
			return nil, err
		}
		obj[k] = v
	}
	if actual == nil {
		f.w.nextID++
		obj["id"] = fmt.Sprintf("id-%d", f.w.nextID)
		f.w.record("create " + string(f.addr))
	} else {
		obj["id"] = actual.Outputs["id"]
		f.w.record("update " + string(f.addr))
	}
	f.w.objects[f.addr] = obj
	return Outputs{"id": obj["id"]}, nil
}

func (f *fakeResource) Delete(_ context.Context, _ *Clients, _ *Observed) error {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	delete(f.w.objects, f.addr)
	f.w.record("delete " + string(f.addr))
	return nil
}

func network(w *world) []Resource {
	vpc := &fakeResource{w: w, addr: "net.vpc/main", fields: map[string]string{"name": "main", "size": "16"}}
	subnet := &fakeResource{w: w, addr: "net.subnet/a", deps: []Addr{vpc.addr},
		fields: map[string]string{"name": "a", "size": "24"}, refs: map[string]Ref{"parent": {vpc.addr, "id"}}}
	service := &fakeResource{w: w, addr: "app.service/web", deps: []Addr{subnet.addr},
		fields: map[string]string{"name": "web", "size": "2"}, refs: map[string]Ref{"parent": {subnet.addr, "id"}}}
	return []Resource{service, subnet, vpc}
}

func render(t *testing.T, p *Plan) string {
	t.Helper()
	var b bytes.Buffer
	if err := p.Render(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestPlanApplyNoOpDestroy(t *testing.T) {
	ctx := context.Background()
	w := &world{objects: map[Addr]map[string]string{}}
	resources := network(w)

	p, err := NewPlan(ctx, nil, resources)
	if err != nil {
		t.Fatal(err)
	}
	want := `+ net.vpc/main
    name:  main
    size:  16
+ net.subnet/a
    name:    a
    size:    24
    parent:  (known after apply)
+ app.service/web
    name:    web
    size:    2
    parent:  (known after apply)

Plan: 3 to create, 0 to update, 0 to replace, 0 to delete.
`
	if got := render(t, p); got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}

	var events []Event
	outputs, err := Apply(ctx, nil, p, ApplyOptions{OnEvent: func(e Event) { events = append(events, e) }})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(w.log, ","); got != "create net.vpc/main,create net.subnet/a,create app.service/web" {
		t.Fatalf("apply order: %s", got)
	}
	if w.objects["app.service/web"]["parent"] != outputs["net.subnet/a"]["id"] {
		t.Fatalf("reference not resolved at apply time: %v", w.objects)
	}
	progress := 0
	for _, e := range events {
		if e.Phase == PhaseProgress && e.Message == "working on "+string(e.Addr) {
			progress++
		}
	}
	if progress != 3 {
		t.Fatalf("want 3 progress events, got %+v", events)
	}

	again, err := NewPlan(ctx, nil, resources)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Empty() || render(t, again) != "No changes. The stack matches berth.yaml.\n" {
		t.Fatalf("second plan not empty:\n%s", render(t, again))
	}

	resources[0].(*fakeResource).fields["size"] = "3"
	update, err := NewPlan(ctx, nil, resources)
	if err != nil {
		t.Fatal(err)
	}
	if got := render(t, update); got != "~ app.service/web\n    size:  2 → 3\n\nPlan: 0 to create, 1 to update, 0 to replace, 0 to delete.\n" {
		t.Fatalf("update plan:\n%s", got)
	}

	destroy, err := NewDestroyPlan(ctx, nil, resources)
	if err != nil {
		t.Fatal(err)
	}
	w.log = nil
	if _, err := Apply(ctx, nil, destroy, ApplyOptions{Parallelism: 1}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(w.log, ","); got != "delete app.service/web,delete net.subnet/a,delete net.vpc/main" {
		t.Fatalf("destroy order: %s", got)
	}
	empty, err := NewDestroyPlan(ctx, nil, resources)
	if err != nil {
		t.Fatal(err)
	}
	if !empty.Empty() || !strings.HasPrefix(render(t, empty), "Nothing to destroy") {
		t.Fatalf("destroy after destroy:\n%s", render(t, empty))
	}
}

func TestReplace(t *testing.T) {
	ctx := context.Background()
	w := &world{objects: map[Addr]map[string]string{}}
	vpc := &fakeResource{w: w, addr: "net.vpc/main", fields: map[string]string{"name": "main"}}
	p, _ := NewPlan(ctx, nil, []Resource{vpc})
	if _, err := Apply(ctx, nil, p, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	vpc.fields["name"] = "renamed"
	p, err := NewPlan(ctx, nil, []Resource{vpc})
	if err != nil {
		t.Fatal(err)
	}
	if got := render(t, p); !strings.Contains(got, "± net.vpc/main\n    name:  main → renamed  (forces replacement)") {
		t.Fatalf("replace plan:\n%s", got)
	}
	w.log = nil
	if _, err := Apply(ctx, nil, p, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(w.log, ","); got != "delete net.vpc/main,create net.vpc/main" {
		t.Fatalf("replace ran %s", got)
	}
}

func TestApplyFailureSkipsDependents(t *testing.T) {
	ctx := context.Background()
	w := &world{objects: map[Addr]map[string]string{}}
	resources := network(w)
	resources[1].(*fakeResource).failing = true // the subnet
	lonely := &fakeResource{w: w, addr: "logs.group/app", fields: map[string]string{"name": "app"}}
	resources = append(resources, lonely)

	p, err := NewPlan(ctx, nil, resources)
	if err != nil {
		t.Fatal(err)
	}
	var skipped []Event
	_, err = Apply(ctx, nil, p, ApplyOptions{OnEvent: func(e Event) {
		if e.Phase == PhaseSkipped {
			skipped = append(skipped, e)
		}
	}})
	if err == nil || !strings.Contains(err.Error(), "net.subnet/a: create: quota exceeded") {
		t.Fatalf("err = %v", err)
	}
	if len(skipped) != 1 || skipped[0].Addr != "app.service/web" || skipped[0].Message != "not started: net.subnet/a failed" {
		t.Fatalf("skipped events = %+v", skipped)
	}
	if _, ok := w.objects[lonely.addr]; !ok {
		t.Fatal("independent resource was not created")
	}
}

func TestPlanJSON(t *testing.T) {
	ctx := context.Background()
	w := &world{objects: map[Addr]map[string]string{}}
	p, err := NewPlan(ctx, nil, network(w)[2:])
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := p.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		Destroy bool
		Changes []Change
		Summary Summary
	}
	if err := json.Unmarshal(b.Bytes(), &decoded); err != nil {
		t.Fatal(err)
	}
	if decoded.Summary.Create != 1 || decoded.Changes[0].Action != Create || decoded.Changes[0].Addr != "net.vpc/main" {
		t.Fatalf("json = %s", b.String())
	}
}

func TestGraphErrorsSurface(t *testing.T) {
	w := &world{objects: map[Addr]map[string]string{}}
	orphan := &fakeResource{w: w, addr: "app.service/web", deps: []Addr{"net.subnet/missing"}}
	if _, err := NewPlan(context.Background(), nil, []Resource{orphan}); err == nil || !strings.Contains(err.Error(), "missing net.subnet/missing") {
		t.Fatalf("err = %v", err)
	}
}

// stepwise is a resource whose apply is several calls, as a VPC is (create,
// then enable DNS, then tag): each Apply carries out one more call and then
// reports the answer lost, as a dropped connection after AWS acted would.
// stuckAt makes the call of that step fail without effect, for ever.
type stepwise struct {
	w       *world
	addr    Addr
	steps   int
	stuckAt int
	applies int
}

func (s *stepwise) Addr() Addr        { return s.addr }
func (s *stepwise) DependsOn() []Addr { return nil }

func (s *stepwise) Observe(context.Context, *Clients, *Inputs) (*Observed, error) {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	obj, ok := s.w.objects[s.addr]
	if !ok {
		return nil, nil
	}
	return &Observed{Outputs: Outputs{"id": obj["id"]}, State: obj}, nil
}

func (s *stepwise) Diff(_ *Inputs, actual *Observed) ([]FieldChange, Action) {
	changes := NewChanges(actual)
	done := ""
	if actual != nil {
		done = actual.State.(map[string]string)["done"]
	}
	changes.Field("done", done, fmt.Sprint(s.steps))
	return changes.Result()
}

func (s *stepwise) Apply(_ context.Context, _ *Clients, _ *Inputs, actual *Observed) (Outputs, error) {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	s.applies++
	obj := map[string]string{"id": "id-1", "done": "0"}
	if actual != nil {
		obj = actual.State.(map[string]string)
	}
	var done int
	fmt.Sscan(obj["done"], &done)
	if done+1 == s.stuckAt {
		return nil, errors.New("LimitExceeded: not now")
	}
	obj["done"] = fmt.Sprint(done + 1)
	s.w.objects[s.addr] = obj
	return nil, errors.New("RequestError: connection reset after the call was carried out")
}

func (s *stepwise) Delete(context.Context, *Clients, *Observed) error { return nil }

// A create whose answers are lost converges: the engine observes what the
// lost calls did and applies again from there until the object matches;
// one that stops making progress returns its error instead of looping.
func TestApplyConvergesWhenAnswersAreLost(t *testing.T) {
	ctx := context.Background()
	w := &world{objects: map[Addr]map[string]string{}}
	vpc := &stepwise{w: w, addr: "net.vpc/main", steps: 3}
	p, err := NewPlan(ctx, nil, []Resource{vpc})
	if err != nil {
		t.Fatal(err)
	}
	outputs, err := Apply(ctx, nil, p, ApplyOptions{})
	if err != nil {
		t.Fatalf("apply with lost answers: %v", err)
	}
	if outputs[vpc.addr]["id"] != "id-1" || w.objects[vpc.addr]["done"] != "3" || vpc.applies != 3 {
		t.Fatalf("after apply: outputs %v, object %v, %d applies", outputs, w.objects[vpc.addr], vpc.applies)
	}

	w = &world{objects: map[Addr]map[string]string{}}
	stuck := &stepwise{w: w, addr: "net.vpc/stuck", steps: 3, stuckAt: 2}
	p, err = NewPlan(ctx, nil, []Resource{stuck})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(ctx, nil, p, ApplyOptions{}); err == nil || !strings.Contains(err.Error(), "LimitExceeded") {
		t.Fatalf("a stuck apply returned %v; want its LimitExceeded error", err)
	}
	if stuck.applies != 2 {
		t.Fatalf("a stuck apply was tried %d times; want 2 (the create, then one update that makes no progress)", stuck.applies)
	}

	// An update that fails without effect is not tried again.
	stuck.applies = 0
	p, err = NewPlan(ctx, nil, []Resource{stuck})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(ctx, nil, p, ApplyOptions{}); err == nil || !strings.Contains(err.Error(), "LimitExceeded") {
		t.Fatalf("a stuck update returned %v; want its LimitExceeded error", err)
	}
	if stuck.applies != 1 {
		t.Fatalf("an update that failed without effect was tried %d times; want 1", stuck.applies)
	}
}

// notReady creates its object and then waits for a state it never reaches,
// as a NAT gateway that stays pending would.
type notReady struct{ *fakeResource }

func (n notReady) Apply(ctx context.Context, c *Clients, in *Inputs, actual *Observed) (Outputs, error) {
	if _, err := n.fakeResource.Apply(ctx, c, in, actual); err != nil {
		return nil, err
	}
	quick := Backoff{First: time.Millisecond, Max: time.Millisecond, Timeout: time.Millisecond}
	return nil, WaitUntil(ctx, quick, "gateway to be available", func() (bool, string, error) { return false, "pending", nil })
}

// An object that exists but whose wait gave up is not taken as applied,
// although observing it again would find it matching.
func TestApplyDoesNotTakeAGivenUpWaitAsDone(t *testing.T) {
	ctx := context.Background()
	w := &world{objects: map[Addr]map[string]string{}}
	gw := notReady{&fakeResource{w: w, addr: "net.nat/a", fields: map[string]string{"name": "a"}}}
	p, err := NewPlan(ctx, nil, []Resource{gw})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(ctx, nil, p, ApplyOptions{}); err == nil || !strings.Contains(err.Error(), "gave up after") {
		t.Fatalf("apply with a wait that gave up returned %v", err)
	}
	if got := strings.Join(w.log, ","); got != "create net.nat/a" {
		t.Fatalf("the resource was applied %q; want one create", got)
	}
}
