package testnet

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// SpotifyMeBody is what GET /v1/me without a token answers, with status 401.
const SpotifyMeBody = `{"error":{"status":401,"message":"No token provided"}}`

// SpotifyHandler answers as Spotify's servers do (one handler for apresolve, api and spclient):
//   - "/" is apresolve: 200 application/json {"accesspoint":[aps…],"dealer":[…],"spclient":[…]}
//     where dealer is ["gae2-dealer.spotify.com:443","guc3-dealer.spotify.com:443"] and spclient
//     ["gae2-spclient.spotify.com:443","guc3-spclient.spotify.com:443"]; with type= parameters (?type=accesspoint&type=dealer&type=spclient) only the requested
//     keys, none requested meaning all three;
//   - "/v1/me" answers 401 application/json SpotifyMeBody (no token was sent);
//   - any other path answers 404 with an empty body.
//
// aps are host:port strings, such as "ap-gae2.spotify.com:4070".
func SpotifyHandler(aps []string) http.Handler {
	lists := map[string][]string{
		"accesspoint": append([]string{}, aps...),
		"dealer":      {"gae2-dealer.spotify.com:443", "guc3-dealer.spotify.com:443"},
		"spclient":    {"gae2-spclient.spotify.com:443", "guc3-spclient.spotify.com:443"},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			answer := lists
			if types := r.URL.Query()["type"]; len(types) > 0 {
				answer = make(map[string][]string)
				for _, t := range types {
					if l, ok := lists[t]; ok {
						answer[t] = l
					}
				}
			}
			body, _ := json.Marshal(answer) // keys sorted: accesspoint, dealer, spclient
			writeBody(w, http.StatusOK, "application/json", string(body))
		case "/v1/me":
			writeBody(w, http.StatusUnauthorized, "application/json", SpotifyMeBody)
		default:
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusNotFound)
		}
	})
}

// StatusHandler answers every request with code and its status text as a text/plain body.
func StatusHandler(code int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeBody(w, code, "text/plain; charset=utf-8", strconv.Itoa(code)+" "+http.StatusText(code)+"\n")
	})
}

func writeBody(w http.ResponseWriter, code int, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}
