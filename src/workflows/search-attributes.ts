/**
 * Custom search attributes Slipway upserts so runs can be filtered in the Temporal UI
 * (e.g. `SlipwayModel = "flight-delay" AND SlipwayOutcome = "rejected"`).
 * They must be registered on the server first: the dev-server script and the test
 * environment do it; on a cluster run `temporal operator search-attribute create`.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const modelKey = defineSearchAttributeKey('SlipwayModel', SearchAttributeType.KEYWORD);
export const pipelineKey = defineSearchAttributeKey('SlipwayPipeline', SearchAttributeType.KEYWORD);
export const stageKey = defineSearchAttributeKey('SlipwayStage', SearchAttributeType.KEYWORD);
export const outcomeKey = defineSearchAttributeKey('SlipwayOutcome', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTE_KEYS = [modelKey, pipelineKey, stageKey, outcomeKey];
