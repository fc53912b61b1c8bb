"""Document store operations that need no external service: the loader listing, a chunk preview
with the plainText loader and the character splitter, and the chunk pages of a store.

A target may declare these unsupported (capability document_store_loaders).
"""
from __future__ import annotations

import uuid

import pytest

from flowise_conformance.checks import expect, expect_equal, expect_in, expect_json, expect_status, expect_type
from flowise_conformance.checks.schemas import expect_schema
from flowise_conformance.crud import expect_error
from flowise_conformance.ids import item_path

pytestmark = [pytest.mark.resource("document-store"), pytest.mark.requires("document_store_loaders")]

STORES = "document-store/store"
FIRST = "First paragraph."
SECOND = "Second paragraph."


def preview_body(**fields):  # noqa: ANN001, ANN201
    """Two paragraphs that a character splitter with chunkSize 20 and separator "\\n\\n" cuts in two."""
    return {
        "loaderId": "plainText",
        "loaderName": "Plain Text",
        "loaderConfig": {"text": f"{FIRST}\n\n{SECOND}"},
        "splitterId": "characterTextSplitter",
        "splitterName": "Character Text Splitter",
        "splitterConfig": {"chunkSize": 20, "chunkOverlap": 1, "separator": "\n\n"},
        "previewChunkCount": 20,
        **fields,
    }


@pytest.mark.level("MUST")
@pytest.mark.source("flowise", flowise="packages/server/src/services/documentstore/index.ts: getDocumentLoaders answers the loader components (name, label, ...) as an array")
def test_loaders_listing_is_an_array_of_components(api):
    """GET /document-store/components/loaders answers a non-empty JSON array of loader components (name, label)."""
    response = api.get("document-store/components/loaders")
    expect_status(response, 200)
    loaders = expect_json(response)
    expect(isinstance(loaders, list) and loaders, f"expected a non-empty JSON array, got {str(loaders)[:200]!r}",
           expected='isinstance(loaders, list) and loaders', received=loaders, response=response)
    for loader in loaders:
        expect_schema(loader, "LoaderComponent", "a listed loader")


@pytest.mark.level("SHOULD")
@pytest.mark.source("flowise", flowise="observed 3.1.4: GET /document-store/components/loaders lists the plainText loader")
def test_loaders_listing_includes_plain_text(api):
    """GET /document-store/components/loaders lists the plainText loader (the one that needs no service)."""
    response = api.get("document-store/components/loaders")
    expect_status(response, 200)
    loaders = expect_json(response)
    expect_type(loaders, list, f"expected a JSON array, got {type(loaders).__name__}", response=response)
    expect_in("plainText", {ld.get("name") for ld in loaders if isinstance(ld, dict)}, "no plainText loader listed",
              response=response)


@pytest.mark.level("MUST")
@pytest.mark.mutating
@pytest.mark.source("flowise", flowise="packages/server/src/services/documentstore/index.ts: previewChunks runs the loader and splitter and answers {chunks, totalChunks, previewChunkCount}")
def test_preview_splits_plain_text_into_chunks(api):
    """POST /document-store/loader/preview cuts two paragraphs into two chunks, in order, with their text."""
    response = api.post("document-store/loader/preview", json=preview_body())
    expect_status(response, 200)
    result = expect_schema(expect_json(response), "LoaderPreviewResult", "preview answer")
    expect_equal([c.get("pageContent") for c in result["chunks"]], [FIRST, SECOND], f"chunks {result['chunks']!r}",
                 response=response)
    expect_equal(result["totalChunks"], 2, f"totalChunks {result['totalChunks']}, expected 2", response=response)


@pytest.mark.level("MUST")
@pytest.mark.mutating
@pytest.mark.source("flowise", flowise="packages/server/src/services/documentstore/index.ts: previewChunks returns the first previewChunkCount chunks and counts all in totalChunks")
def test_preview_returns_at_most_preview_chunk_count(api):
    """POST /document-store/loader/preview with previewChunkCount 1 returns one chunk but counts both in totalChunks."""
    response = api.post("document-store/loader/preview", json=preview_body(previewChunkCount=1))
    expect_status(response, 200)
    result = expect_schema(expect_json(response), "LoaderPreviewResult", "preview answer")
    expect_equal([c.get("pageContent") for c in result["chunks"]], [FIRST],
                 f"chunks {result['chunks']!r}, expected only the first", response=response)
    expect_equal(result["totalChunks"], 2, f"totalChunks {result['totalChunks']}, expected 2", response=response)


@pytest.mark.level("MAY")
@pytest.mark.mutating
@pytest.mark.source("none", why="chunkOverlap is a numeric input of the character splitter and 0 (no overlap) a meaningful value; Flowise 3.1.4 drops a falsy 0 and falls back to 200 (a 500 for chunkSize 20), the docs do not document the preview")
def test_preview_honours_a_zero_chunk_overlap(api):
    """POST /document-store/loader/preview with chunkOverlap 0 (no overlap) splits as asked instead of failing."""
    body = preview_body(splitterConfig={"chunkSize": 20, "chunkOverlap": 0, "separator": "\n\n"})
    response = api.post("document-store/loader/preview", json=body)
    expect_status(response, 200, why="chunkOverlap 0 (no overlap) is a meaningful value of the numeric input")
    result = expect_schema(expect_json(response), "LoaderPreviewResult", "preview answer")
    expect_equal([c.get("pageContent") for c in result["chunks"]], [FIRST, SECOND], f"chunks {result['chunks']!r}",
                 response=response)


@pytest.mark.level("SHOULD")
@pytest.mark.mutating
@pytest.mark.source("flowise", flowise="packages/server/src/services/documentstore/index.ts: previewChunks does not save the loader or its chunks")
def test_preview_saves_nothing_in_the_store(api, store):
    """A preview naming a store leaves it EMPTY: no loader and no chunk is saved."""
    expect_status(api.post("document-store/loader/preview", json=preview_body(storeId=store["id"])), 200)
    got_response = api.get(item_path(STORES, store['id']))
    got = expect_json(got_response, 200)
    expect_equal(got.get("loaders"), [], f"loaders after a preview: {got.get('loaders')!r}", response=got_response)
    page_response = api.get(item_path("document-store/chunks", store['id'], "all", 1))
    page = expect_json(page_response, 200)
    expect(isinstance(page, dict) and page.get("count") == 0, f"chunks after a preview: {str(page)[:300]!r}",
           expected='isinstance(page, dict) and page.get("count") == 0', received=page, response=page_response)


@pytest.mark.level("SHOULD")
@pytest.mark.mutating
@pytest.mark.source("flowise", flowise="observed 3.1.4: a preview naming an unknown storeId answers 404 with a JSON error")
def test_preview_with_unknown_store_is_404(api):
    """POST /document-store/loader/preview naming a store id that does not exist answers 404 with the error shape."""
    expect_error(api.post("document-store/loader/preview", json=preview_body(storeId=str(uuid.uuid4()))), 404)


@pytest.mark.level("SHOULD")
@pytest.mark.mutating
@pytest.mark.source("docs", docs="introduction: 400 Bad Request - Invalid input or malformed request",
                    flowise="observed 3.1.4: loaderId 'fcNoSuchLoader' answers 500 (a TypeError)")
def test_preview_with_unknown_loader_is_rejected(api):
    """POST /document-store/loader/preview with a loaderId no loader has answers 400 or 422 with the error shape."""
    expect_error(api.post("document-store/loader/preview", json=preview_body(loaderId="fcNoSuchLoader")))


@pytest.mark.level("SHOULD")
@pytest.mark.mutating
@pytest.mark.source("docs", docs="introduction: 400 Bad Request - Invalid input or malformed request",
                    flowise="observed 3.1.4: a preview without loaderConfig answers 500 (a TypeError)")
def test_preview_without_loader_config_is_rejected(api):
    """POST /document-store/loader/preview without loaderConfig answers 400 or 422 with the error shape."""
    body = preview_body()
    del body["loaderConfig"]
    expect_error(api.post("document-store/loader/preview", json=body))


@pytest.mark.level("MUST")
@pytest.mark.mutating
@pytest.mark.source("docs+flowise", docs="GET /document-store/chunks/{storeId}/{loaderId}/{pageNo}: 200 DocumentStoreFileChunkPagedResponse (chunks, count, currentPage)",
                    flowise="packages/server/src/services/documentstore/index.ts: getDocumentStoreFileChunks, loaderId 'all' for every loader, answers {chunks, count, currentPage, ...}")
def test_chunks_of_an_empty_store_are_an_empty_page(api, store):
    """GET /document-store/chunks/{storeId}/all/1 of a new store answers page 1 with no chunks and count 0."""
    response = api.get(item_path("document-store/chunks", store['id'], "all", 1))
    expect_status(response, 200)
    page = expect_schema(expect_json(response), "ChunkPage", "chunk page")
    expect_equal(page["chunks"], [], f"a new store has chunks {page['chunks']!r}", response=response)
    expect_equal(page["count"], 0, f"a new store has count {page['count']}", response=response)
    expect_equal(page["currentPage"], 1, f"currentPage {page['currentPage']}, asked for 1", response=response)


@pytest.mark.level("MUST")
@pytest.mark.source("docs", docs="GET /document-store/chunks/{storeId}/{loaderId}/{pageNo}: 404 'Document store not found'",
                    flowise="observed 3.1.4: answers 500 (the service wraps its own 'Document store ... not found')")
def test_chunks_of_unknown_store_is_404(api):
    """GET /document-store/chunks/{storeId}/all/1 of a store that does not exist answers 404 with the error shape."""
    expect_error(api.get(item_path("document-store/chunks", uuid.uuid4(), "all", 1)), 404)


@pytest.mark.level("SHOULD")
@pytest.mark.mutating
@pytest.mark.source("docs", docs="GET /document-store/chunks/{storeId}/{loaderId}/{pageNo}: 404 'Document store not found'",
                    flowise="observed 3.1.4: answers 500 (the service wraps its own 'Document loader ... not found')")
def test_chunks_of_unknown_loader_is_404(api, store):
    """GET /document-store/chunks/{storeId}/{fileId}/1 with a fileId that is no loader of the store answers 404."""
    expect_error(api.get(item_path("document-store/chunks", store["id"], uuid.uuid4(), 1)), 404)
