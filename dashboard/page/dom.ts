/** The page's element of id `id` (the pages' markup holds every id they ask for). */
export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
