package instance_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"testing"

	"github.com/stoppunkt/stoppunkt/hub/wire"
	"github.com/stoppunkt/stoppunkt/server/instance"
	it "github.com/stoppunkt/stoppunkt/server/instance/instancetest"
	"github.com/stoppunkt/stoppunkt/server/publicurl"
)

// venueLaptop's interfaces: loopback, Docker's bridge, a VPN tunnel and
// the venue's Wi-Fi. onlyLoopback has loopback alone.
var (
	venueLaptop = []publicurl.Interface{
		{Name: "lo", Up: true, Loopback: true, Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}},
		{Name: "docker0", Up: true, Addrs: []netip.Addr{netip.MustParseAddr("172.17.0.1")}},
		{Name: "wg0", Up: true, PointToPoint: true, Addrs: []netip.Addr{netip.MustParseAddr("10.8.0.2")}},
		{Name: "wlan0", Up: true, Addrs: []netip.Addr{netip.MustParseAddr("fd00::23"), netip.MustParseAddr("192.168.1.23")}},
	}
	onlyLoopback = venueLaptop[:1]
)

// onMachine makes an instance believe it runs on a machine with these
// interfaces, listening on every address (it listens on loopback, so
// nothing from the network reaches it).
func onMachine(ifaces []publicurl.Interface, public string) func(*instance.Config) {
	return func(c *instance.Config) {
		c.Server.PublicURL = public
		c.Server.LAN = publicurl.Finder{Listen: ":8080", Interfaces: func() ([]publicurl.Interface, error) { return ifaces, nil }}.Addrs
	}
}

// getHost asks for a URL with another Host header, as a browser that
// reached the server by that name would.
func getHost(t *testing.T, url, host string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s (Host %s): %s", url, host, resp.Status)
	}
	return string(b)
}

// Phones can open the join link: a room made on localhost gets join links
// and a QR code on the machine's LAN address, while the facilitator's own
// links stay on the address they used; a page reached by another name
// keeps that name; --public-url wins; with loopback alone the link stays
// local (and the dashboard warns, see web/webtest).
func TestJoinLinksUseTheLANAddress(t *testing.T) {
	ns := it.NATS(t)
	in := it.Start(t, ns.ClientURL(), it.Options{Modify: onMachine(venueLaptop, "")})
	port := strconv.Itoa(in.Addr().(*net.TCPAddr).Port)
	lan := "http://192.168.1.23:" + port

	code, body := post(t, in.URL()+"/api/rooms", `{"plan":"test-plan"}`, nil)
	if code != 201 {
		t.Fatal(body)
	}
	var r struct {
		it.Room
		PresenterURL string `json:"presenter_url"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	want := lan + "/j/" + r.Code
	if r.JoinURL != want {
		t.Errorf("join_url %s, want %s", r.JoinURL, want)
	}
	if r.FacilitatorURL != in.URL()+"/f/"+r.Room.Room+"#key="+r.Key || r.PresenterURL[:len(in.URL())] != in.URL() {
		t.Errorf("the facilitator's own links left the address they used: %s, %s", r.FacilitatorURL, r.PresenterURL)
	}
	for host, link := range map[string]string{
		"127.0.0.1:" + port:   want,
		"localhost:" + port:   want,
		"[::1]:" + port:       want,
		"10.1.2.3:" + port:    "http://10.1.2.3:" + port + "/j/" + r.Code,
		"kurs.kommune.no":     "http://kurs.kommune.no/j/" + r.Code,
		"kurs.localhost:8080": want,
	} {
		if got := getHost(t, in.URL()+"/qr/"+r.Code+".txt", host); got != link {
			t.Errorf("/qr/CODE.txt asked as %s: %q, want %q", host, got, link)
		}
	}

	fac := it.Facilitator(t, r.Room, in)
	if got := fac.Welcome().JoinURL; got != want {
		t.Errorf("the facilitator's welcome: join_url %q, want %q", got, want)
	}
	screen := it.Dial(t, wire.Hello{Role: wire.RolePresenter, Room: r.Room.Room, Key: r.Key}, in)
	if got := screen.Welcome().JoinURL; got != want {
		t.Errorf("the big screen's welcome: join_url %q, want %q", got, want)
	}
	if got := it.Participant(t, r.Code, in).Welcome().JoinURL; got != "" {
		t.Errorf("a participant's welcome carries join_url %q", got)
	}

	code, body = post(t, in.URL()+"/api/events", `{"plan":"test-plan","name":"Fagdag","rooms":2}`, nil)
	if code != 201 {
		t.Fatal(body)
	}
	var ev struct {
		Event       string `json:"event"`
		OverviewURL string `json:"overview_url"`
		Rooms       []struct {
			Code           string `json:"code"`
			JoinURL        string `json:"join_url"`
			FacilitatorURL string `json:"facilitator_url"`
			QRURL          string `json:"qr_url"`
		} `json:"rooms"`
	}
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.OverviewURL[:len(in.URL())] != in.URL() {
		t.Errorf("the organizer's overview left the address they used: %s", ev.OverviewURL)
	}
	for _, er := range ev.Rooms {
		if er.JoinURL != lan+"/j/"+er.Code || er.QRURL != lan+"/qr/"+er.Code+".png" || er.FacilitatorURL[:len(lan)] != lan {
			t.Errorf("the event sheet hands out %s, %s, %s; want them on %s", er.JoinURL, er.QRURL, er.FacilitatorURL, lan)
		}
	}
}

func TestJoinLinksWithoutALANOrWithAPublicURL(t *testing.T) {
	ns := it.NATS(t)
	alone := it.Start(t, ns.ClientURL(), it.Options{Modify: onMachine(onlyLoopback, "")})
	r := it.CreateRoom(t, alone, "test-plan")
	if want := alone.URL() + "/j/" + r.Code; r.JoinURL != want {
		t.Errorf("loopback only: join_url %s, want %s", r.JoinURL, want)
	}
	if got := it.Facilitator(t, r, alone).Welcome().JoinURL; !publicurl.Local(hostOf(t, got)) {
		t.Errorf("loopback only: the welcome's join_url %q is not local, so the dashboard would not warn", got)
	}

	public := it.Start(t, ns.ClientURL(), it.Options{Modify: onMachine(venueLaptop, "https://kurs.kommune.no/")})
	r = it.CreateRoom(t, public, "test-plan")
	want := "https://kurs.kommune.no/j/" + r.Code
	if r.JoinURL != want {
		t.Errorf("--public-url: join_url %s, want %s", r.JoinURL, want)
	}
	for _, host := range []string{"localhost", "192.168.1.23:8080"} {
		if got := getHost(t, public.URL()+"/qr/"+r.Code+".txt", host); got != want {
			t.Errorf("--public-url, asked as %s: /qr/CODE.txt %q, want %q", host, got, want)
		}
	}
	if got := it.Facilitator(t, r, public).Welcome().JoinURL; got != want {
		t.Errorf("--public-url: the welcome's join_url %q, want %q", got, want)
	}
}

func hostOf(t *testing.T, link string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, link, nil)
	if err != nil {
		t.Fatalf("join_url %q: %v", link, err)
	}
	return req.URL.Host
}
