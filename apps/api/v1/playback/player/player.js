/*
 * The player page's script: plays the session's stream, reports what was watched, moves the watermark.
 *
 * Plain ES2017 with no build step; it loads nothing but what the page gives it (hls.min.js before it,
 * the session JSON in <script id="playback-session" type="application/json">).
 *
 * Heartbeats (POST heartbeat_url, every heartbeat_interval_seconds, on pause and end, and when the page is
 * hidden or left) carry {sequence, ranges, position, rate, playing}. `ranges` are the media seconds
 * actually played since the last accepted heartbeat: a timeupdate that moved forward by at most
 * 1.5 s x playbackRate is playback, anything else (a seek, a jump) starts a new range. A batch of ranges is
 * forgotten only once the server answered 200 (or refused it as impossible, 400/413: sending it again
 * would be refused again); otherwise it goes out again with the next sequence. A 403 means the session
 * is over: playback stops and the page says why.
 *
 * window.academyPlayer = {video, hls, sent, lastResponse, sequence, stopped} is there for browser tests:
 * `sent` counts accepted heartbeats, `lastResponse` is {status, sequence, body} of the latest answer.
 */
(function () {
  'use strict';

  const STEP_LIMIT_SECONDS = 1.5; // per 1x of playbackRate: a larger forward step is a jump, not playback
  const MAX_RANGES = 50; // the server's limit per heartbeat
  const WATERMARK_MOVE_MS = 4000;
  const REQUEST_TIMEOUT_MS = 10000;
  const NETWORK_RETRIES = 3;

  const TEXT = {
    expired: '재생 세션이 만료되었습니다.',
    revoked: '학원에서 이 재생을 중지했습니다.',
    evicted: '다른 곳에서 재생을 시작해 이 화면의 재생이 중지되었습니다.',
    unsupported: '이 브라우저에서는 강의를 재생할 수 없습니다. 최신 Chrome, Edge, Safari 또는 Firefox를 사용해 주세요.',
    failed: '재생 중 오류가 발생했습니다. 페이지를 새로 고쳐 주세요.',
    reconnecting: '네트워크 연결을 확인하고 있습니다…',
    unstable: '네트워크가 불안정해 시청 기록을 저장하지 못하고 있습니다. 연결되면 다시 저장합니다.',
    tapToPlay: '재생 버튼을 눌러 시작하세요.',
    fullscreenHint: '전체 화면은 아래의 [전체 화면] 버튼을 사용해 주세요.',
  };

  const video = document.getElementById('player-video');
  const frame = document.getElementById('player-frame');
  const watermark = document.getElementById('player-watermark');
  const unmuteButton = document.getElementById('player-unmute');
  const fullscreenButton = document.getElementById('player-fullscreen');
  const statusLine = document.getElementById('player-status');

  const player = {video: video, hls: null, sent: 0, lastResponse: null, sequence: 0, stopped: false};
  window.academyPlayer = player;

  function readSession() {
    const element = document.getElementById('playback-session') ||
      document.querySelector('script[type="application/json"]');
    try {
      return element ? JSON.parse(element.textContent) : null;
    } catch (error) {
      return null;
    }
  }

  function showStatus(text, kind) {
    statusLine.textContent = text || '';
    statusLine.dataset.kind = kind || 'info';
  }

  function round3(seconds) {
    return Math.round(seconds * 1000) / 1000;
  }

  /** Sorted, overlapping or touching ranges joined, rounded to milliseconds, empty ones dropped. */
  function mergeRanges(ranges) {
    const sorted = ranges.filter((r) => r[1] > r[0]).map((r) => [r[0], r[1]]).sort((a, b) => a[0] - b[0]);
    const merged = [];
    for (const range of sorted) {
      const last = merged[merged.length - 1];
      if (last && range[0] <= last[1] + 0.001) {
        last[1] = Math.max(last[1], range[1]);
      } else {
        merged.push(range);
      }
    }
    return merged.map((r) => [round3(r[0]), round3(r[1])]).filter((r) => r[1] > r[0]);
  }

  const session = readSession();
  if (!session || !session.master_playlist_url || !session.heartbeat_url) {
    showStatus(TEXT.failed, 'error');
    return;
  }
  if (session.lecture_title) {
    document.title = session.lecture_title;
  }

  // ---- What was played -------------------------------------------------------------------------

  let pending = []; // played ranges not yet accepted by the server
  let lastTime = null; // the currentTime of the previous timeupdate, null after a seek

  video.addEventListener('timeupdate', function () {
    if (video.seeking) {
      lastTime = null;
      return;
    }
    const now = video.currentTime;
    if (lastTime !== null) {
      const step = now - lastTime;
      if (step > 0 && step <= STEP_LIMIT_SECONDS * (video.playbackRate || 1)) {
        pending.push([lastTime, now]);
      }
    }
    lastTime = now;
  });
  video.addEventListener('seeking', function () {
    lastTime = null;
  });
  video.addEventListener('seeked', function () {
    lastTime = video.currentTime;
  });
  video.addEventListener('playing', function () {
    if (lastTime === null && !video.seeking) {
      lastTime = video.currentTime; // from the first frame, not from the first timeupdate after it
    }
  });
  video.addEventListener('emptied', function () {
    lastTime = null;
  });

  // ---- Heartbeats ------------------------------------------------------------------------------

  const intervalMs = Math.max(1, Number(session.heartbeat_interval_seconds) || 5) * 1000;
  const canKeepAlive = typeof Request !== 'undefined' && 'keepalive' in Request.prototype;
  const outstanding = new Set(); // sequences sent and not yet answered
  let failures = 0;
  let heartbeatTimer = null;

  /** The sequence the server last accepted, from a 409's body or its message. */
  function acceptedSequence(body) {
    if (body && Number.isInteger(body.last_sequence)) {
      return body.last_sequence;
    }
    const match = body && typeof body.detail === 'string' && body.detail.match(/heartbeat (\d+) was already accepted/);
    return match ? Number(match[1]) : null;
  }

  function settle(sequence, batch, status, body) {
    outstanding.delete(sequence);
    player.lastResponse = {status: status, sequence: sequence, body: body};
    if (player.stopped) {
      return;
    }
    if (status === 200) {
      player.sent += 1;
      failures = 0;
      if (statusLine.dataset.kind === 'warning') {
        showStatus('');
      }
      return;
    }
    if (status === 403) {
      stop(refusalText(body));
      return;
    }
    if (status === 400 || status === 413) {
      return; // a claim the server will never take: sending it again would only be refused again
    }
    if (status === 409) {
      const accepted = acceptedSequence(body);
      player.sequence = Math.max(player.sequence, accepted === null ? player.sequence * 2 : accepted);
    } else {
      failures += 1;
      if (failures >= 3) {
        showStatus(TEXT.unstable, 'warning');
      }
    }
    pending = batch.concat(pending);
  }

  function refusalText(body) {
    const detail = body && typeof body.detail === 'string' ? body.detail : '';
    if (/revoked/.test(detail)) {
      return TEXT.revoked;
    }
    if (/evicted/.test(detail)) {
      return TEXT.evicted;
    }
    return TEXT.expired;
  }

  function post(json, leaving) {
    if (leaving && !canKeepAlive) {
      // The page is going away and fetch cannot outlive it: a beacon is sent, but never answered.
      const queued = navigator.sendBeacon &&
        navigator.sendBeacon(session.heartbeat_url, new Blob([json], {type: 'application/json'}));
      return Promise.resolve({status: queued ? 'beacon' : 0, body: null});
    }
    const controller = typeof AbortController !== 'undefined' ? new AbortController() : null;
    // Also when leaving: a page that was only hidden lives on, and must not wait forever for an answer.
    const timer = controller ? setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS) : null;
    return fetch(session.heartbeat_url, {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: json,
      credentials: 'omit',
      cache: 'no-store',
      keepalive: leaving,
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      return response.json().catch(() => null).then((body) => ({status: response.status, body: body}));
    }).catch(() => ({status: 0, body: null})).then(function (answer) {
      clearTimeout(timer);
      return answer;
    });
  }

  /** Sends what was played since the last heartbeat; `leaving` when the page is hidden or unloading. */
  function heartbeat(leaving) {
    if (player.stopped || (outstanding.size > 0 && !leaving)) {
      return; // one at a time while the page lives: the answer decides what is sent again
    }
    const merged = mergeRanges(pending);
    const batch = merged.slice(0, MAX_RANGES);
    pending = merged.slice(MAX_RANGES);
    player.sequence += 1;
    const sequence = player.sequence;
    const duration = isFinite(video.duration) ? video.duration : Infinity;
    const json = JSON.stringify({
      sequence: sequence,
      ranges: batch,
      position: round3(Math.min(video.currentTime || 0, duration)),
      rate: video.playbackRate || 1,
      playing: !video.paused && !video.ended,
    });
    outstanding.add(sequence);
    post(json, leaving).then(function (answer) {
      if (answer.status === 'beacon') {
        outstanding.delete(sequence); // delivered as far as the browser can tell; no answer will come
        return;
      }
      settle(sequence, batch, answer.status, answer.body);
    });
  }

  heartbeatTimer = setInterval(() => heartbeat(false), intervalMs);
  video.addEventListener('pause', () => heartbeat(false));
  video.addEventListener('ended', () => heartbeat(false));
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') {
      heartbeat(true);
    }
  });
  window.addEventListener('pagehide', () => heartbeat(true));

  // ---- Stopping --------------------------------------------------------------------------------

  function stop(text) {
    if (player.stopped) {
      return;
    }
    player.stopped = true;
    clearInterval(heartbeatTimer);
    if (player.hls) {
      player.hls.destroy();
      player.hls = null;
    }
    video.pause();
    video.removeAttribute('src');
    video.load();
    video.controls = false;
    unmuteButton.hidden = true;
    fullscreenButton.hidden = true;
    watermark.hidden = true;
    showStatus(text, 'error');
  }

  /** After a media or network failure: a 403 from the session URL means the session is over. */
  function checkSession(otherwise) {
    if (!session.session_url) {
      otherwise();
      return;
    }
    fetch(session.session_url, {credentials: 'omit', cache: 'no-store'}).then(function (response) {
      if (response.status === 403) {
        return response.json().catch(() => null).then((body) => stop(refusalText(body)));
      }
      otherwise();
    }).catch(otherwise);
  }

  // ---- Playback --------------------------------------------------------------------------------

  const resume = Math.max(0, Number(session.resume_position_seconds) || 0);

  function startPlayback() {
    const attempt = video.play();
    if (!attempt || typeof attempt.then !== 'function') {
      return;
    }
    attempt.catch(function (error) {
      if (player.stopped || !error || error.name !== 'NotAllowedError') {
        return;
      }
      // Autoplay with sound was refused: play muted and let the viewer turn the sound on.
      video.muted = true;
      video.play().then(function () {
        unmuteButton.hidden = false;
      }).catch(function () {
        video.muted = false;
        showStatus(TEXT.tapToPlay);
      });
    });
  }

  unmuteButton.addEventListener('click', function () {
    video.muted = false;
    unmuteButton.hidden = true;
    if (video.paused) {
      video.play().catch(() => {});
    }
  });
  video.addEventListener('volumechange', function () {
    if (!video.muted) {
      unmuteButton.hidden = true;
    }
  });
  video.addEventListener('playing', function () {
    if (statusLine.dataset.kind !== 'warning' && statusLine.dataset.kind !== 'error') {
      showStatus('');
    }
  });
  video.addEventListener('contextmenu', (event) => event.preventDefault());

  // The playlists and the key are the API's own: a 403 there is the session ending. Segments may
  // come from storage, whose refusals say nothing about the session.
  const SESSION_LOADS = typeof Hls !== 'undefined' ? [
    Hls.ErrorDetails.MANIFEST_LOAD_ERROR,
    Hls.ErrorDetails.LEVEL_LOAD_ERROR,
    Hls.ErrorDetails.AUDIO_TRACK_LOAD_ERROR,
    Hls.ErrorDetails.KEY_LOAD_ERROR,
  ] : [];

  function playWithHlsJs() {
    const hls = new Hls({startPosition: resume > 0 ? resume : -1});
    player.hls = hls;
    let networkRetries = 0;
    let lastMediaRecovery = 0;
    hls.on(Hls.Events.MANIFEST_PARSED, startPlayback);
    hls.on(Hls.Events.FRAG_LOADED, function () {
      networkRetries = 0;
    });
    hls.on(Hls.Events.ERROR, function (event, data) {
      if (player.stopped) {
        return;
      }
      if (data.response && data.response.code === 403 && SESSION_LOADS.indexOf(data.details) >= 0) {
        stop(TEXT.expired);
        return;
      }
      if (!data.fatal) {
        return;
      }
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && Date.now() - lastMediaRecovery > 5000) {
        lastMediaRecovery = Date.now();
        hls.recoverMediaError();
      } else if (data.type === Hls.ErrorTypes.NETWORK_ERROR && networkRetries < NETWORK_RETRIES) {
        networkRetries += 1;
        showStatus(TEXT.reconnecting, 'warning');
        checkSession(function () {
          setTimeout(function () {
            if (!player.stopped && player.hls === hls) {
              hls.startLoad();
            }
          }, 2000 * networkRetries);
        });
      } else {
        checkSession(() => stop(TEXT.failed));
      }
    });
    hls.loadSource(session.master_playlist_url);
    hls.attachMedia(video);
  }

  function playNatively() {
    video.addEventListener('loadedmetadata', function () {
      if (resume > 0 && resume < video.duration) {
        video.currentTime = resume;
      }
    }, {once: true});
    video.addEventListener('error', function () {
      if (!player.stopped) {
        checkSession(() => stop(TEXT.failed));
      }
    });
    video.src = session.master_playlist_url;
    startPlayback();
  }

  if (typeof Hls !== 'undefined' && Hls.isSupported()) {
    playWithHlsJs();
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    playNatively(); // Safari on iPhone without Managed Media Source
  } else {
    stop(TEXT.unsupported);
    return;
  }

  // ---- Watermark -------------------------------------------------------------------------------

  watermark.textContent = [session.viewer_label, session.academy_name].filter(Boolean).join(' · ');

  /** Where the picture is inside the video element (object-fit: contain letterboxes it). */
  function pictureBox() {
    const width = video.clientWidth;
    const height = video.clientHeight;
    if (!video.videoWidth || !video.videoHeight || !width || !height) {
      return {left: video.offsetLeft, top: video.offsetTop, width: width, height: height};
    }
    const scale = Math.min(width / video.videoWidth, height / video.videoHeight);
    const pictureWidth = video.videoWidth * scale;
    const pictureHeight = video.videoHeight * scale;
    return {
      left: video.offsetLeft + (width - pictureWidth) / 2,
      top: video.offsetTop + (height - pictureHeight) / 2,
      width: pictureWidth,
      height: pictureHeight,
    };
  }

  function moveWatermark() {
    const box = pictureBox();
    const x = box.left + Math.random() * Math.max(0, box.width - watermark.offsetWidth);
    const y = box.top + Math.random() * Math.max(0, box.height - watermark.offsetHeight);
    watermark.style.transform = 'translate(' + Math.round(x) + 'px, ' + Math.round(y) + 'px)';
  }

  moveWatermark();
  setInterval(moveWatermark, WATERMARK_MOVE_MS);
  video.addEventListener('loadedmetadata', moveWatermark);
  window.addEventListener('resize', moveWatermark);

  // ---- Fullscreen: the frame, never the bare video, so the watermark stays on the picture ------

  const requestFullscreen = frame.requestFullscreen || frame.webkitRequestFullscreen;
  const fullscreenElement = () => document.fullscreenElement || document.webkitFullscreenElement || null;
  const exitFullscreen = () => (document.exitFullscreen || document.webkitExitFullscreen).call(document);

  function enterFullscreen() {
    const result = requestFullscreen.call(frame);
    return result && typeof result.then === 'function' ? result : Promise.resolve();
  }

  function toggleFullscreen() {
    if (fullscreenElement()) {
      exitFullscreen();
    } else {
      enterFullscreen().catch(() => {});
    }
  }

  function onFullscreenChange() {
    if (fullscreenElement() === video) {
      // A browser's own control put the bare video in fullscreen: move it to the frame.
      Promise.resolve(exitFullscreen()).then(enterFullscreen).catch(() => showStatus(TEXT.fullscreenHint));
    }
    fullscreenButton.textContent = fullscreenElement() ? '전체 화면 끝내기' : '전체 화면';
    setTimeout(moveWatermark, 100);
  }

  if (requestFullscreen && (document.fullscreenEnabled || document.webkitFullscreenEnabled)) {
    fullscreenButton.hidden = false;
    fullscreenButton.addEventListener('click', toggleFullscreen);
    video.addEventListener('dblclick', function (event) {
      event.preventDefault();
      toggleFullscreen();
    });
    document.addEventListener('fullscreenchange', onFullscreenChange);
    document.addEventListener('webkitfullscreenchange', onFullscreenChange);
  }
})();
