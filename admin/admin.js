/*
 * The zesd admin page (docs/admin.md): plain JavaScript, no framework, no
 * build step.  The token is kept in sessionStorage (this tab only) and sent
 * as "Authorization: Bearer" on every /v1 call; it never goes in a URL or a
 * cookie.  Text from the server is only ever set with textContent.
 */
'use strict';

(function () {
	var TOKEN_KEY = 'zesd.adminToken';
	var ZONE = 'Europe/Amsterdam';

	var state = {
		token: null,
		municipalities: [],	/* [{code, name, zeZone}] */
		names: {},		/* code -> name */
		offered: {},		/* code -> [type] (municipal, offered), cached */
		editing: null		/* {agreement, etag} */
	};

	function $(id) {
		return document.getElementById(id);
	}

	function el(tag, text, cls) {
		var e = document.createElement(tag);

		if (text !== undefined && text !== null)
			e.textContent = String(text);
		if (cls)
			e.className = cls;
		return e;
	}

	function clear(node) {
		while (node.firstChild)
			node.removeChild(node.firstChild);
	}

	/* The API's root, relative to this page (/admin): works behind a prefix. */
	function apiUrl(path) {
		return new URL(path, document.baseURI).toString();
	}

	/*
	 * One API call.  Resolves to {status, ok, body, etag}; body is the
	 * decoded JSON (a problem document for errors) or null.
	 */
	function api(method, path, body, headers) {
		var h = { 'Accept': 'application/json, application/problem+json' };
		var k, init;

		if (state.token)
			h['Authorization'] = 'Bearer ' + state.token;
		for (k in headers || {})
			h[k] = headers[k];
		init = { method: method, headers: h, credentials: 'omit', cache: 'no-store' };
		if (body !== undefined) {
			h['Content-Type'] = h['Content-Type'] || 'application/json';
			init.body = JSON.stringify(body);
		}
		return fetch(apiUrl(path), init).then(function (res) {
			return res.text().then(function (text) {
				var doc = null;

				try {
					doc = text ? JSON.parse(text) : null;
				} catch (e) {
					doc = { title: 'Unreadable answer', status: res.status,
					    detail: text.slice(0, 300) };
				}
				return { status: res.status, ok: res.ok, body: doc,
				    etag: res.headers.get('ETag') };
			});
		}, function (err) {
			return { status: 0, ok: false, body: { title: 'No answer',
			    detail: 'zesd could not be reached: ' + err.message } };
		});
	}

	/* Show a message (kind: 'ok', 'error' or '') in a message region. */
	function say(region, kind, text) {
		var box = $(region);

		clear(box);
		box.className = 'msg' + (kind ? ' ' + kind : '');
		if (text)
			box.appendChild(el('p', text));
	}

	/*
	 * Show a failed call: a lead line of our own, then the problem's title
	 * and status, detail, and each errors[].field with its message.
	 */
	function sayProblem(region, lead, res) {
		var box = $(region);
		var p = res.body || {};
		var ul, i, li;

		clear(box);
		box.className = 'msg error';
		if (lead)
			box.appendChild(el('p', lead, 'lead-line'));
		box.appendChild(el('h3', (p.title || 'Error') + ' (' +
		    (p.status || res.status) + ')', 'problem-title'));
		if (p.detail)
			box.appendChild(el('p', p.detail, 'problem-detail'));
		if (Array.isArray(p.errors) && p.errors.length > 0) {
			ul = el('ul', null, 'problem-errors');
			for (i = 0; i < p.errors.length; i++) {
				li = el('li');
				li.appendChild(el('code', p.errors[i].field || '(body)'));
				li.appendChild(document.createTextNode(': ' +
				    (p.errors[i].message || '')));
				ul.appendChild(li);
			}
			box.appendChild(ul);
		}
		if (res.status === 401) {
			box.appendChild(el('p', 'The token is no longer accepted: ' +
			    'sign in again.'));
		}
	}

	/* The calendar day of an instant in Amsterdam, YYYY-MM-DD. */
	function localDay(ms) {
		var parts = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE,
		    year: 'numeric', month: '2-digit', day: '2-digit' })
		    .formatToParts(new Date(ms));
		var o = {}, i;

		for (i = 0; i < parts.length; i++)
			o[parts[i].type] = parts[i].value;
		return o.year + '-' + o.month + '-' + o.day;
	}

	function today() {
		return localDay(Date.now());
	}

	/* validUntil (exclusive instant) as the last day it holds, or ''. */
	function lastDay(instant) {
		if (!instant)
			return '';
		return localDay(Date.parse(instant) - 1);
	}

	function muniLabel(code) {
		return state.names[code] ? code + ' ' + state.names[code] : code;
	}

	/* ---------------------------------------------------------------- */
	/* Sign in */

	/*
	 * Check a token with two cheap reads that only an admin may make both
	 * of: the newest audit entry (admin, auditor) and one agreement (desk,
	 * assessor, admin).  Resolves to null or the failed response.
	 */
	function checkToken() {
		return api('GET', 'v1/audit-entries?limit=1').then(function (r) {
			if (!r.ok)
				return r;
			return api('GET', 'v1/recognition-agreements?limit=1')
			    .then(function (r2) {
				return r2.ok ? null : r2;
			});
		});
	}

	function signIn(token) {
		state.token = token;
		say('signin-msg', '', 'Checking the token…');
		return checkToken().then(function (bad) {
			var lead;

			if (bad) {
				state.token = null;
				sessionStorage.removeItem(TOKEN_KEY);
				if (bad.status === 401)
					lead = 'Sign-in failed: the token is unknown or revoked.';
				else if (bad.status === 403)
					lead = 'Sign-in refused: this token\'s role may not ' +
					    'administer agreements. Sign in with an admin token.';
				else
					lead = 'Sign-in failed: zesd did not accept the check.';
				sayProblem('signin-msg', lead, bad);
				return false;
			}
			sessionStorage.setItem(TOKEN_KEY, token);
			say('signin-msg', '', '');
			$('signin').hidden = true;
			$('app').hidden = false;
			$('session').hidden = false;
			$('session-text').textContent = 'Signed in with an admin token.';
			return loadAll().then(function () { return true; });
		});
	}

	function signOut() {
		state.token = null;
		sessionStorage.removeItem(TOKEN_KEY);
		$('token').value = '';
		$('app').hidden = true;
		$('session').hidden = true;
		$('signin').hidden = false;
		say('signin-msg', '', 'Signed out.');
	}

	/* ---------------------------------------------------------------- */
	/* Reference data */

	function loadMunicipalities() {
		return api('GET', 'v1/municipalities').then(function (r) {
			var i, m, opt, sel = ['create-issuer', 'create-recognizer'], j;

			if (!r.ok) {
				sayProblem('create-msg', 'The municipalities could not be read.', r);
				return;
			}
			state.municipalities = r.body.items || [];
			for (i = 0; i < state.municipalities.length; i++) {
				m = state.municipalities[i];
				state.names[m.code] = m.name;
			}
			for (j = 0; j < sel.length; j++) {
				clear($(sel[j]));
				for (i = 0; i < state.municipalities.length; i++) {
					m = state.municipalities[i];
					if (!m.ruleSet)
						continue;
					opt = el('option', muniLabel(m.code) +
					    (m.zeZone ? '' : ' (no zone)'));
					opt.value = m.code;
					$(sel[j]).appendChild(opt);
				}
			}
		});
	}

	/* The municipal types `code` offers, from its rule set (cached). */
	function offeredTypes(code) {
		if (state.offered[code])
			return Promise.resolve(state.offered[code]);
		return api('GET', 'v1/rule-sets/' + encodeURIComponent(code))
		    .then(function (r) {
			var types = [], t, doc;

			if (!r.ok)
				return Promise.reject(r);
			doc = r.body.document || {};
			for (t in doc.types || {}) {
				if (doc.types[t].scope === 'municipal' &&
				    doc.types[t].offered !== false)
					types.push(t);
			}
			types.sort();
			state.offered[code] = types;
			return types;
		});
	}

	/* Fill a fieldset's choices with one checkbox per type. */
	function fillTypes(fieldsetId, types, checked) {
		var box = $(fieldsetId).querySelector('.choices');
		var i, id, cb, lab, span;

		clear(box);
		if (types.length === 0)
			box.appendChild(el('p', 'This municipality offers no municipal exemption types.'));
		for (i = 0; i < types.length; i++) {
			id = fieldsetId + '-' + types[i];
			span = el('span', null, 'choice');
			cb = el('input');
			cb.type = 'checkbox';
			cb.name = 'type';
			cb.value = types[i];
			cb.id = id;
			cb.checked = checked ? checked.indexOf(types[i]) >= 0 : false;
			lab = el('label', types[i]);
			lab.htmlFor = id;
			span.appendChild(cb);
			span.appendChild(lab);
			box.appendChild(span);
		}
	}

	function chosenTypes(fieldsetId) {
		var boxes = $(fieldsetId).querySelectorAll('input[type=checkbox]');
		var out = [], i;

		for (i = 0; i < boxes.length; i++)
			if (boxes[i].checked)
				out.push(boxes[i].value);
		return out;
	}

	function issuerChanged() {
		var code = $('create-issuer').value;

		if (!code)
			return Promise.resolve();
		return offeredTypes(code).then(function (types) {
			fillTypes('create-types', types, null);
		}, function (r) {
			fillTypes('create-types', [], null);
			sayProblem('create-msg', 'The rule set of ' + code +
			    ' could not be read.', r);
		});
	}

	function loadTypeChoices() {
		return api('GET', 'v1/rule-sets').then(function (r) {
			var seen = {}, list = [], i, j, t, opt, sel = $('compare-type');

			if (!r.ok) {
				sayProblem('compare-msg', 'The rule sets could not be read.', r);
				return;
			}
			for (i = 0; i < r.body.items.length; i++) {
				t = r.body.items[i].types || [];
				for (j = 0; j < t.length; j++) {
					if (!seen[t[j]]) {
						seen[t[j]] = true;
						list.push(t[j]);
					}
				}
			}
			list.sort();
			clear(sel);
			for (i = 0; i < list.length; i++) {
				opt = el('option', list[i]);
				opt.value = list[i];
				sel.appendChild(opt);
			}
		});
	}

	/* ---------------------------------------------------------------- */
	/* The matrix */

	function loadMatrix() {
		var at = $('matrix-at').value;
		var path = 'v1/recognition-matrix' + (at ? '?at=' + encodeURIComponent(at) : '');

		return api('GET', path).then(function (r) {
			var tbody = $('matrix').querySelector('tbody');
			var i, j, item, tr, ul, t, text;

			if (!r.ok) {
				sayProblem('matrix-msg', 'The matrix could not be read.', r);
				return;
			}
			say('matrix-msg', '', '');
			$('matrix-caption').textContent = 'What each municipality ' +
			    'recognises of another\'s exemptions at ' + r.body.at +
			    ' (' + r.body.items.length + ' pairs)';
			clear(tbody);
			for (i = 0; i < r.body.items.length; i++) {
				item = r.body.items[i];
				tr = el('tr');
				tr.dataset.issuer = item.issuer;
				tr.dataset.recognizer = item.recognizer;
				tr.appendChild(el('th', muniLabel(item.issuer)));
				tr.firstChild.scope = 'row';
				tr.appendChild(el('td', muniLabel(item.recognizer)));
				ul = el('ul');
				for (j = 0; j < item.types.length; j++) {
					t = item.types[j];
					if (t.source === 'agreement')
						text = t.type + ': agreement ' + t.agreementId;
					else
						text = t.type + ': statute' + (t.grantedFrom ?
						    ' (exemptions granted from ' + t.grantedFrom + ')' : '');
					ul.appendChild(el('li', text, 'source-' + t.source));
				}
				tr.appendChild(el('td'));
				tr.lastChild.appendChild(ul);
				tbody.appendChild(tr);
			}
			if (r.body.items.length === 0) {
				tr = el('tr');
				tr.appendChild(el('td', 'Nothing is recognised at this instant.'));
				tr.firstChild.colSpan = 3;
				tbody.appendChild(tr);
			}
		});
	}

	/*
	 * After a change: the list now, the matrix now and once more after the
	 * next whole second, from which zesd applies a change (docs/recognition.md).
	 */
	function refreshAfterChange() {
		window.setTimeout(loadMatrix, 1100);
		return Promise.all([loadAgreements(), loadMatrix()]);
	}

	/* ---------------------------------------------------------------- */
	/* Agreements */

	/* Every agreement, following nextCursor (at most 20 pages of 500). */
	function fetchAgreements() {
		var all = [];

		function page(cursor, n) {
			var path = 'v1/recognition-agreements?limit=500' +
			    (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');

			return api('GET', path).then(function (r) {
				if (!r.ok)
					return Promise.reject(r);
				all = all.concat(r.body.items);
				if (r.body.nextCursor && n < 20)
					return page(r.body.nextCursor, n + 1);
				return all;
			});
		}
		return page(null, 1);
	}

	function loadAgreements() {
		return fetchAgreements().then(function (items) {
			var tbody = $('agreements').querySelector('tbody');
			var i, a, tr, td, b;

			say('agreements-msg', '', '');
			clear(tbody);
			for (i = 0; i < items.length; i++) {
				a = items[i];
				tr = el('tr');
				tr.dataset.id = a.id;
				tr.dataset.status = a.status;
				tr.appendChild(el('td', muniLabel(a.issuer)));
				tr.appendChild(el('td', muniLabel(a.recognizer)));
				tr.appendChild(el('td', a.types.join(', '), 'types'));
				tr.appendChild(el('td', localDay(Date.parse(a.validFrom))));
				tr.appendChild(el('td', a.validUntil ? lastDay(a.validUntil) :
				    'open-ended', 'until'));
				tr.appendChild(el('td', a.status, 'status'));
				tr.appendChild(el('td', a.note || '', 'note'));
				tr.appendChild(el('td', a.id, 'id'));
				td = el('td');
				if (!a.endedAt && a.status !== 'ended') {
					b = el('button', 'Edit', 'edit');
					b.type = 'button';
					b.setAttribute('aria-label', 'Edit agreement ' + a.id);
					b.addEventListener('click', openEdit.bind(null, a.id));
					td.appendChild(b);
					b = el('button', 'End', 'end');
					b.type = 'button';
					b.setAttribute('aria-label', 'End agreement ' + a.id);
					b.addEventListener('click', endAgreement.bind(null, a.id));
					td.appendChild(b);
				}
				tr.appendChild(td);
				tbody.appendChild(tr);
			}
			if (items.length === 0) {
				tr = el('tr');
				tr.appendChild(el('td', 'No agreements yet.'));
				tr.firstChild.colSpan = 9;
				tbody.appendChild(tr);
			}
		}, function (r) {
			sayProblem('agreements-msg', 'The agreements could not be read.', r);
		});
	}

	function createAgreement(ev) {
		var body, until = $('create-until').value, note = $('create-note').value;

		ev.preventDefault();
		body = {
			issuer: $('create-issuer').value,
			recognizer: $('create-recognizer').value,
			types: chosenTypes('create-types'),
			validFrom: $('create-from').value,
			validUntil: until ? until : null,
			mutual: $('create-mutual').checked
		};
		if (note)
			body.note = note;
		say('create-msg', '', 'Creating…');
		return api('POST', 'v1/recognition-agreements', body).then(function (r) {
			var ids;

			if (!r.ok) {
				sayProblem('create-msg', 'The agreement was not created.', r);
				return;
			}
			ids = r.body.items.map(function (a) { return a.id; });
			say('create-msg', 'ok', (ids.length === 1 ? 'Agreement ' :
			    'Agreements ') + ids.join(', ') + ' created.');
			return refreshAfterChange();
		});
	}

	function showEdit(a, etag) {
		state.editing = { agreement: a, etag: etag };
		$('edit-id').textContent = a.id;
		$('edit-summary').textContent = muniLabel(a.issuer) + ' → ' +
		    muniLabel(a.recognizer) + ', from ' +
		    localDay(Date.parse(a.validFrom)) + ', version ' + a.version +
		    ', ' + a.status + '.';
		$('edit-until').value = lastDay(a.validUntil);
		$('edit-note').value = a.note || '';
		$('edit-section').hidden = false;
		return offeredTypes(a.issuer).then(function (types) {
			var all = types.slice(), i;

			/* Types listed before a rule change still show. */
			for (i = 0; i < a.types.length; i++)
				if (all.indexOf(a.types[i]) < 0)
					all.push(a.types[i]);
			fillTypes('edit-types', all, a.types);
		}, function (r) {
			fillTypes('edit-types', a.types, a.types);
			sayProblem('edit-msg', 'The issuer\'s rule set could not be read.', r);
		});
	}

	function openEdit(id) {
		say('edit-msg', '', '');
		return api('GET', 'v1/recognition-agreements/' + encodeURIComponent(id))
		    .then(function (r) {
			if (!r.ok) {
				$('edit-section').hidden = false;
				sayProblem('edit-msg', 'The agreement could not be read.', r);
				return;
			}
			return showEdit(r.body, r.etag).then(function () {
				$('edit-until').focus();
			});
		});
	}

	function saveEdit(ev) {
		var e = state.editing, patch = {}, until, note, types;

		ev.preventDefault();
		if (!e)
			return;
		until = $('edit-until').value;
		note = $('edit-note').value;
		types = chosenTypes('edit-types');
		if ((until || null) !== (lastDay(e.agreement.validUntil) || null))
			patch.validUntil = until ? until : null;
		if (note !== (e.agreement.note || ''))
			patch.note = note ? note : null;
		if (types.slice().sort().join(',') !== e.agreement.types.slice().sort().join(','))
			patch.types = types;
		if (Object.keys(patch).length === 0) {
			say('edit-msg', '', 'Nothing changed.');
			return;
		}
		say('edit-msg', '', 'Saving…');
		return api('PATCH', 'v1/recognition-agreements/' +
		    encodeURIComponent(e.agreement.id), patch,
		    { 'Content-Type': 'application/merge-patch+json', 'If-Match': e.etag })
		    .then(function (r) {
			if (r.status === 412) {
				sayProblem('edit-msg', 'This agreement was changed meanwhile: ' +
				    'reload it ("Reload this agreement") and make your change again.', r);
				return;
			}
			if (!r.ok) {
				sayProblem('edit-msg', 'The change was not saved.', r);
				return;
			}
			return showEdit(r.body, r.etag || '"' + r.body.version + '"')
			    .then(function () {
				say('edit-msg', 'ok', 'Saved: version ' + r.body.version + '.');
				return refreshAfterChange();
			});
		});
	}

	function reloadEdit() {
		if (state.editing)
			return openEdit(state.editing.agreement.id);
	}

	function endAgreement(id) {
		if (!window.confirm('End agreement ' + id + ' now? It stops ' +
		    'recognising exemptions at this instant; its history stays.'))
			return;
		say('agreements-msg', '', 'Ending…');
		return api('DELETE', 'v1/recognition-agreements/' + encodeURIComponent(id))
		    .then(function (r) {
			if (!r.ok) {
				sayProblem('agreements-msg', 'The agreement was not ended.', r);
				return;
			}
			if (state.editing && state.editing.agreement.id === id)
				$('edit-section').hidden = true;
			return refreshAfterChange().then(function () {
				say('agreements-msg', 'ok', 'Agreement ' + id + ' ended at ' +
				    (r.body.endedAt || r.body.validUntil) + '.');
			});
		});
	}

	/* ---------------------------------------------------------------- */
	/* Rule comparison */

	function text(v) {
		if (v === null || v === undefined)
			return '—';
		if (typeof v === 'object')
			return v.text || JSON.stringify(v);
		return String(v);
	}

	function listCell(items, fmt) {
		var td = el('td'), ul, i;

		if (!items || items.length === 0) {
			td.textContent = '—';
			return td;
		}
		ul = el('ul');
		for (i = 0; i < items.length; i++)
			ul.appendChild(el('li', fmt(items[i])));
		td.appendChild(ul);
		return td;
	}

	function loadComparison(ev) {
		var type = $('compare-type').value;

		if (ev)
			ev.preventDefault();
		return api('GET', 'v1/rule-comparisons?type=' + encodeURIComponent(type))
		    .then(function (r) {
			var mt = $('compare-municipalities').querySelector('tbody');
			var pt = $('compare-pairs').querySelector('tbody');
			var i, m, p, tr;

			if (!r.ok) {
				$('compare-result').hidden = true;
				sayProblem('compare-msg', 'The comparison could not be made.', r);
				return;
			}
			say('compare-msg', '', '');
			$('compare-caption').textContent = 'Conditions of ' + r.body.type +
			    (r.body.label ? ' (' + r.body.label + ')' : '') +
			    ' per municipality with a zone';
			clear(mt);
			for (i = 0; i < r.body.municipalities.length; i++) {
				m = r.body.municipalities[i];
				tr = el('tr');
				tr.dataset.municipality = m.municipality;
				tr.appendChild(el('th', muniLabel(m.municipality)));
				tr.firstChild.scope = 'row';
				tr.appendChild(el('td', m.offered ? 'yes' : 'no'));
				tr.appendChild(listCell(m.conditions, function (c) {
					return (c.reason ? c.reason + ': ' : '') +
					    (c.text || c.message || JSON.stringify(c));
				}));
				tr.appendChild(el('td', text(m.maxDuration)));
				tr.appendChild(listCell(m.evidence, function (e) {
					return typeof e === 'string' ? e : e.name +
					    (e.label ? ' (' + e.label + ')' : '') +
					    (e.required === false ? ', optional' : '');
				}));
				tr.appendChild(el('td', text(m.feeEur)));
				tr.appendChild(el('td', text(m.quota)));
				mt.appendChild(tr);
			}
			clear(pt);
			for (i = 0; i < r.body.pairs.length; i++) {
				p = r.body.pairs[i];
				tr = el('tr');
				tr.dataset.a = p.a;
				tr.dataset.b = p.b;
				tr.appendChild(el('td', muniLabel(p.a)));
				tr.appendChild(el('td', muniLabel(p.b)));
				tr.appendChild(el('td', p.verdict, 'verdict verdict-' + p.verdict));
				tr.appendChild(listCell(p.because, text));
				pt.appendChild(tr);
			}
			$('compare-result').hidden = false;
		});
	}

	/* ---------------------------------------------------------------- */

	function loadAll() {
		return Promise.all([loadMunicipalities(), loadTypeChoices()])
		    .then(function () {
			$('create-from').value = today();
			$('create-from').min = today();
			return Promise.all([issuerChanged(), loadMatrix(),
			    loadAgreements()]);
		});
	}

	function start() {
		var saved = sessionStorage.getItem(TOKEN_KEY);

		$('signin-form').addEventListener('submit', function (ev) {
			ev.preventDefault();
			signIn($('token').value.trim());
		});
		$('signout-button').addEventListener('click', signOut);
		$('matrix-form').addEventListener('submit', function (ev) {
			ev.preventDefault();
			loadMatrix();
		});
		$('agreements-reload').addEventListener('click', loadAgreements);
		$('create-issuer').addEventListener('change', issuerChanged);
		$('create-form').addEventListener('submit', createAgreement);
		$('edit-form').addEventListener('submit', saveEdit);
		$('edit-reload').addEventListener('click', reloadEdit);
		$('edit-cancel').addEventListener('click', function () {
			state.editing = null;
			$('edit-section').hidden = true;
		});
		$('compare-form').addEventListener('submit', loadComparison);
		document.body.dataset.ready = 'yes';
		if (saved)
			signIn(saved);
	}

	if (document.readyState === 'loading')
		document.addEventListener('DOMContentLoaded', start);
	else
		start();
})();
