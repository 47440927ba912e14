package psctest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mssante-go/sdk/psc"
)

// grant is a PSC session: one login of the professional by one client.
type grant struct {
	sid      string
	scope    string
	authTime time.Time
	active   bool
}

// authCode is an issued authorization code.
type authCode struct {
	grant       *grant
	redirectURI string
	challenge   string
	nonce       string
	expires     time.Time
}

const codeLifetime = 60 * time.Second

// refreshToken is an issued refresh token.
type refreshToken struct {
	grant   *grant
	expires time.Time
}

// handleAuthorize approves the configured professional at once and
// redirects with a code (or the error a fault asks for).
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Authorize++ })
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	if q.Get("client_id") != s.opts.ClientID || !s.redirectAllowed(redirect) {
		http.Error(w, "unknown client or redirect_uri", http.StatusBadRequest)
		return
	}
	back := func(params url.Values) {
		u, _ := url.Parse(redirect)
		v := u.Query()
		for k, vs := range params {
			v[k] = vs
		}
		v.Set("state", q.Get("state"))
		v.Set("iss", s.issuer)
		u.RawQuery = v.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	switch {
	case q.Get("response_type") != "code":
		back(url.Values{"error": {"unsupported_response_type"}})
		return
	case !scopeHas(q.Get("scope"), "openid"):
		back(url.Values{"error": {"invalid_scope"}, "error_description": {"openid is required"}})
		return
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		back(url.Values{"error": {"invalid_request"}, "error_description": {"PKCE S256 is required"}})
		return
	case q.Get("state") == "" || q.Get("nonce") == "":
		back(url.Values{"error": {"invalid_request"}, "error_description": {"state and nonce are required"}})
		return
	}
	s.mu.Lock()
	deny := s.faults.denyAuthorize
	s.mu.Unlock()
	if deny {
		back(url.Values{"error": {"access_denied"}, "error_description": {"the professional cancelled"}})
		return
	}
	g := s.newGrant(q.Get("scope"))
	code := randomHex(24)
	s.mu.Lock()
	s.codes[code] = &authCode{grant: g, redirectURI: redirect, challenge: q.Get("code_challenge"),
		nonce: q.Get("nonce"), expires: s.now().Add(codeLifetime)}
	s.mu.Unlock()
	back(url.Values{"code": {code}})
}

func (s *Server) newGrant(scope string) *grant {
	g := &grant{sid: randomHex(16), scope: scope, authTime: s.now(), active: true}
	s.mu.Lock()
	s.grants[g.sid] = g
	s.mu.Unlock()
	return g
}

// handleToken serves the token endpoint.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Token++ })
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed form")
		return
	}
	if st, n := s.takeTokenFailure(); n {
		writeJSON(w, st, map[string]string{"error": "server_error", "error_description": "injected failure"})
		return
	}
	if !s.authenticateClient(r) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Invalid client credentials")
		return
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "authorization_code":
		s.count(func(st *Stats) { st.CodeExchanges++ })
		s.exchangeCode(w, r)
	case "refresh_token":
		s.count(func(st *Stats) { st.Refreshes++ })
		s.refreshGrant(w, r)
	case psc.CIBAGrantType:
		s.count(func(st *Stats) { st.CIBAPolls++ })
		s.pollCIBA(w, r)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant_type")
	}
}

func (s *Server) exchangeCode(w http.ResponseWriter, r *http.Request) {
	code := r.PostForm.Get("code")
	s.mu.Lock()
	ac := s.codes[code]
	delete(s.codes, code) // single use
	s.mu.Unlock()
	if ac == nil || !s.now().Before(ac.expires) {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Code not valid")
		return
	}
	if r.PostForm.Get("redirect_uri") != ac.redirectURI {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Incorrect redirect_uri")
		return
	}
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(ac.challenge)) != 1 {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed: Code mismatch")
		return
	}
	s.issue(w, ac.grant, ac.nonce)
}

func (s *Server) refreshGrant(w http.ResponseWriter, r *http.Request) {
	rt := r.PostForm.Get("refresh_token")
	s.mu.Lock()
	e := s.refresh[rt]
	delete(s.refresh, rt) // rotation: a refresh token serves once
	refuse := s.faults.refuseRefresh
	var g *grant
	if e != nil {
		g = e.grant
		if refuse || !s.now().Before(e.expires) {
			g.active = false
		}
	}
	s.mu.Unlock()
	if g == nil || !g.active {
		s.count(func(st *Stats) { st.RefusedRefreshes++ })
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Token is not active")
		return
	}
	s.issue(w, g, "")
}

// issue writes a token response for g: access token, refresh token, ID
// token.
func (s *Server) issue(w http.ResponseWriter, g *grant, nonce string) {
	now := s.now()
	p := *s.opts.Professional
	jti := randomHex(16)
	access := map[string]any{
		"iss": s.issuer, "sub": p.Subject, "aud": s.opts.Audience, "azp": s.opts.ClientID,
		"exp": now.Add(s.opts.AccessTokenLifetime).Unix(), "iat": now.Unix(), "auth_time": g.authTime.Unix(),
		"jti": jti, "typ": "Bearer", "scope": g.scope, "acr": "eidas1", "sid": g.sid,
		"SubjectNameID": p.NationalID, "preferred_username": p.NationalID,
	}
	at, err := s.sign(access)
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", "signing")
		return
	}
	idClaims := map[string]any{
		"iss": s.issuer, "sub": p.Subject, "aud": s.opts.ClientID, "azp": s.opts.ClientID,
		"exp": now.Add(s.opts.AccessTokenLifetime).Unix(), "iat": now.Unix(), "auth_time": g.authTime.Unix(),
		"jti": randomHex(16), "typ": "ID", "acr": "eidas1", "sid": g.sid, "at_hash": atHash(at),
		"SubjectNameID": p.NationalID, "preferred_username": p.NationalID,
		"given_name": p.GivenName, "family_name": p.FamilyName,
	}
	if nonce != "" {
		idClaims["nonce"] = nonce
	}
	idt, err := s.sign(idClaims)
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", "signing")
		return
	}
	rt := randomHex(32)
	s.mu.Lock()
	s.access[jti] = g.sid
	s.refresh[rt] = &refreshToken{grant: g, expires: now.Add(s.opts.RefreshTokenLifetime)}
	s.mu.Unlock()
	s.count(func(st *Stats) { st.Issued++ })
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":       at,
		"token_type":         "Bearer",
		"expires_in":         int(s.opts.AccessTokenLifetime / time.Second),
		"refresh_token":      rt,
		"refresh_expires_in": int(s.opts.RefreshTokenLifetime / time.Second),
		"id_token":           idt,
		"scope":              g.scope,
		"session_state":      g.sid,
	})
}

func atHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// handleUserInfo answers with the professional's full claims.
func (s *Server) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.UserInfo++ })
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="esante-wallet"`)
		oauthError(w, http.StatusUnauthorized, "invalid_token", "Missing token")
		return
	}
	info, err := s.Introspect(token)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="esante-wallet", error="invalid_token"`)
		oauthError(w, http.StatusUnauthorized, "invalid_token", "Token verification failed")
		return
	}
	claims := UserInfoClaims(*s.opts.Professional)
	claims["sub"] = info.Subject
	if !s.opts.SignedUserInfo {
		writeJSON(w, http.StatusOK, claims)
		return
	}
	claims["iss"], claims["aud"] = s.issuer, s.opts.ClientID
	jwt, err := s.sign(claims)
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", "signing")
		return
	}
	w.Header().Set("Content-Type", "application/jwt")
	_, _ = w.Write([]byte(jwt))
}

// handleRevocation revokes a refresh token and its session (RFC 7009:
// 200 whatever the token).
func (s *Server) handleRevocation(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Revocations++ })
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed form")
		return
	}
	if !s.authenticateClient(r) {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Invalid client credentials")
		return
	}
	s.mu.Lock()
	if e := s.refresh[r.PostForm.Get("token")]; e != nil {
		e.grant.active = false
		for rt, h := range s.refresh {
			if h.grant == e.grant {
				delete(s.refresh, rt)
			}
		}
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// UserInfoClaims returns the claims PSC's userinfo would give for id,
// with PSC's claim names: SubjectNameID, SubjectRefPro (exercices and
// activities), SubjectRole, SubjectOrganization, otherIds...
func UserInfoClaims(id psc.Identity) map[string]any {
	var ex []any
	for _, p := range id.Practices {
		var acts []any
		for _, a := range p.Situations {
			acts = append(acts, map[string]any{
				"codeModeExercice": a.ModeCode, "codeSecteurDactivite": a.SectorCode,
				"codeSectionPharmacien": a.PharmacistSectionCode, "codeRole": a.RoleCode,
				"codeGenreActivite": a.ActivityKindCode, "identifiantTechniqueDeLaStructure": a.StructureID,
				"ancienIdentifiantDeLaStructure": a.OldStructureID, "raisonSocialeSite": a.StructureName,
				"enseigneCommercialeSite": a.CommercialSign, "numeroSiretSite": a.SIRET, "numeroSirenSite": a.SIREN,
				"numeroFinessSite": a.FINESS, "numeroFinessetablissementJuridique": a.FINESSLegalEntity,
				"codePostal": a.PostalCode, "bureauCedex": a.CedexOffice, "autoriteDenregistrement": a.RegistrationAuthority,
			})
		}
		ex = append(ex, map[string]any{
			"codeProfession": p.ProfessionCode, "codeCategorieProfessionnelle": p.CategoryCode,
			"codeCiviliteDexercice": p.CivilityCode, "nomDexercice": p.LastName, "prenomDexercice": p.FirstName,
			"codeTypeSavoirFaire": p.ExpertiseTypeCode, "codeSavoirFaire": p.ExpertiseCode, "activities": acts,
		})
	}
	var others []any
	for _, o := range id.OtherIDs {
		others = append(others, map[string]any{"identifiant": o.ID, "origine": o.Origin, "qualite": o.Quality})
	}
	return map[string]any{
		"sub": id.Subject, "SubjectNameID": id.NationalID, "preferred_username": id.NationalID,
		"given_name": id.GivenName, "family_name": id.FamilyName, "codeCivilite": id.Civility,
		"SubjectRefPro":       map[string]any{"codeCivilite": id.Civility, "exercices": ex},
		"SubjectRole":         id.Roles,
		"SubjectOrganization": id.OrganizationName, "SubjectOrganizationID": id.OrganizationID,
		"Secteur_Activite": id.ActivitySector, "otherIds": others,
		"Palier_Authentification": "APPPRIP3^1.2.250.1.213.1.5.1.1.1", "UITVersion": "1.0",
	}
}
