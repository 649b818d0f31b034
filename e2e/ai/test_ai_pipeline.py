"""End to end, every piece a real process talking HTTP: jobs created through the API
(gunicorn), their messages on moto's SQS and their inputs on moto's S3, one
`ai-cpu worker --once` draining the queue, and the results read back through the API.

Every job is queued before the worker starts, a corrupt image first: the worker fails
that job with the reason and goes on with the rest."""

from dataclasses import dataclass

import pytest
import requests

from apps.support.ai.services.omr_layout import load_spec
from tools.testing.documents import text_images as ti
from tools.testing.documents.pdfs import pdf_bytes
from tools.testing.documents.photos import sheet_photo
from tools.testing.documents.sheets import scanned_sheet
from tools.testing.local_platform import AI_CPU_WORKER

MIXED_PAGE = ti.KOREAN_LINES[:2] + ti.ENGLISH_LINES[:2]
PDF_PAGES = [ti.ENGLISH_LINES[2:], ti.KOREAN_LINES[2:]]
ANSWERS = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5]
# Question 3 wrong, 7 left blank, 9 marked twice: 7 of 10.
MARKS = {1: [1], 2: [2], 3: [1], 4: [4], 5: [5], 6: [1], 7: [], 8: [3], 9: [4, 5], 10: [5]}
QUESTIONS = [
    "What is the derivative of x squared?",
    "Differentiate x^2 with respect to x.",
    "Who wrote the play Hamlet?",
    "Which playwright wrote Romeo and Juliet?",
    "How many legs does a spider have?",
    "함수 f(x)=x²-4x+3의 최솟값을 구하시오.",
    "f(x)=x²-4x+3일 때, 이 함수가 가질 수 있는 가장 작은 값은 얼마인가?",
    "조선을 건국한 왕은 누구인가?",
    "조선 왕조를 처음 세운 인물의 이름을 쓰시오.",
    "다음 주 월요일은 휴원합니다.",
]


@dataclass
class Run:
    """What one worker run made of the jobs queued through the API, read back through it."""

    api: str
    http: requests.Session
    jobs: dict[str, str]
    answer_key: str
    questions: list[str]

    def job(self, name: str) -> dict:
        return self.http.get(f"{self.api}/api/v1/ai/jobs/{self.jobs[name]}/").json()


@pytest.fixture(scope="module")
def run(stack) -> Run:
    """Every job created through the API (each is "queued"), then `--once` drains the queue."""
    api = stack.start_api()
    http = stack.client(stack.api_key("daechi"))

    def submit(filename: str, data: bytes, **fields) -> str:
        response = http.post(f"{api}/api/v1/ai/jobs/", data=fields, files={"file": (filename, data)})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    jobs = {"corrupt": submit("torn.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, type="ocr")}
    jobs["ocr_png"] = submit("notice.png", ti.png_bytes(ti.render_lines(MIXED_PAGE, korean=True)), type="ocr")
    pages = [ti.render_lines(lines, korean=True) for lines in PDF_PAGES]
    jobs["ocr_pdf"] = submit("handout.pdf", pdf_bytes(pages), type="ocr", page=2)
    answer_key = http.post(f"{api}/api/v1/ai/answer-keys/", json={"name": "Quiz 3", "answers": ANSWERS}).json()["id"]
    sheet = scanned_sheet(load_spec(), questions=len(ANSWERS), marks=MARKS, degrees=2.0, noise=10)
    jobs["omr"] = submit("sheet.png", ti.png_bytes(sheet), type="omr_grade", answer_key=answer_key)
    # A phone photo on a desk: perspective, a shadow, blur, JPEG 70; and the same as an iPhone's HEIC.
    for name, fmt in (("omr_photo", "jpeg"), ("omr_heic", "heic")):
        photo = sheet_photo(load_spec(), questions=len(ANSWERS), marks=MARKS, strength="phone", seed=4, fmt=fmt)
        jobs[name] = submit(f"IMG_0412.{fmt}", photo.data, type="omr_grade", answer_key=answer_key)
    questions = [http.post(f"{api}/api/v1/questions/", json={"text": text}).json()["id"] for text in QUESTIONS]
    embed = http.post(f"{api}/api/v1/ai/jobs/", json={"type": "embed", "question_ids": questions})
    assert embed.status_code == 201, embed.text
    jobs["embed"] = embed.json()["id"]
    assert {name: http.get(f"{api}/api/v1/ai/jobs/{i}/").json()["status"] for name, i in jobs.items()} == \
        dict.fromkeys(jobs, "queued")

    worker = stack.start_worker(AI_CPU_WORKER, "--once")
    assert worker.wait(120) == 0, stack.log("worker")
    return Run(api=api, http=http, jobs=jobs, answer_key=answer_key, questions=questions)


def test_a_corrupt_image_fails_with_the_reason_and_the_worker_goes_on(run, stack):
    corrupt = run.job("corrupt")
    assert corrupt["status"] == "failed" and "not a readable image" in corrupt["failure_reason"], corrupt
    rest = {name: run.job(name) for name in run.jobs if name != "corrupt"}
    assert {name: job["status"] for name, job in rest.items()} == dict.fromkeys(rest, "succeeded")
    assert all(job["finished_at"] > corrupt["finished_at"] for job in rest.values())
    # Its message was dropped, not retried into the DLQ.
    assert stack.visible_messages("ai-cpu") == 0 and stack.visible_messages("ai-cpu", dlq=True) == 0


def test_ocr_reads_a_korean_and_english_page(run):
    result = run.job("ocr_png")["result"]
    assert ti.character_error_rate("\n".join(MIXED_PAGE), result["text"]) <= 0.05, result["text"]
    assert len(result["lines"]) == len(MIXED_PAGE) and result["confidence"] > 70


def test_ocr_reads_the_page_asked_for_of_a_pdf(run):
    job = run.job("ocr_pdf")
    assert (job["input_format"], job["page"], job["result"]["page"], job["result"]["pages"]) == ("pdf", 2, 2, 2)
    assert ti.character_error_rate("\n".join(PDF_PAGES[1]), job["result"]["text"]) <= 0.05, job["result"]["text"]


def test_omr_grades_a_turned_sheet_against_the_answer_key(run):
    job = run.job("omr")
    assert job["answer_key"] == run.answer_key
    result = job["result"]
    assert (result["score"], result["total"]) == (7, 10)
    assert [q["marked"] for q in result["questions"]] == [MARKS[q] for q in range(1, 11)]


@pytest.mark.parametrize("name", ["omr_photo", "omr_heic"])
def test_omr_grades_a_phone_photo_of_a_sheet_on_a_desk(run, name):
    job = run.job(name)
    assert job["input_format"] == ("jpeg" if name == "omr_photo" else "heic")
    assert [q["marked"] for q in job["result"]["questions"]] == [MARKS[q] for q in range(1, 11)]
    assert (job["result"]["score"], job["result"]["total"]) == (7, 10)


def test_embeddings_find_similar_questions(run):
    assert run.job("embed")["result"]["embedded"] == len(QUESTIONS)
    # In Korean too: the English model alone puts the academy notice nearest to 조선을 건국한
    # 왕은 누구인가?; with the questions' Korean terms, its paraphrase comes first.
    for asked, nearest in ((0, 1), (2, 3), (5, 6), (7, 8), (8, 7)):
        found = run.http.get(f"{run.api}/api/v1/questions/{run.questions[asked]}/similar/?k=2").json()
        assert len(found) == 2 and found[0]["text"] == QUESTIONS[nearest], found


def test_another_academy_sees_none_of_it(run, stack):
    other = stack.client(stack.api_key("other"))
    api = run.api
    urls = [f"{api}/api/v1/ai/jobs/{i}/" for i in run.jobs.values()] + [
        f"{api}/api/v1/ai/answer-keys/{run.answer_key}/",
        f"{api}/api/v1/questions/{run.questions[0]}/",
        f"{api}/api/v1/questions/{run.questions[0]}/similar/",
    ]
    assert {url: other.get(url).status_code for url in urls} == dict.fromkeys(urls, 404)
    assert other.get(f"{api}/api/v1/ai/jobs/").json()["results"] == []
    assert run.http.get(f"{api}/api/v1/ai/jobs/").json()["count"] == len(run.jobs)
